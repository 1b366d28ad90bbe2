// Command copass-go-consumer is a Go program that manages one copass:index:UserMcpSource through
// the SDK generated from the plugin's schema (tools/sdkgen), run as an Automation API inline
// program: no Go language host, the real `pulumi` CLI from PATH, the engine starting
// pulumi-resource-copass from PATH (issue 16).
//
// Input: one JSON object, as the first argument or in COPASS_CONSUMER_INPUT:
//
//	{"action": "preview"|"up"|"refresh"|"destroy"|"preview-expect-no-changes",
//	 "stack", "workDir", "projectName", "sandboxId", "name", "baseUrl", "authKind", "token"}
//
// Output: ONE JSON line on stdout (see result); exit 1 when the operation failed, 2 on bad input.
// The backend, passphrase and provider configuration come from the environment
// (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, COPASS_API_URL, COPASS_API_KEY), as for any
// pulumi command. test/languages/python/program.py is the same program in Python: keep them alike.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/copass/pulumi-copass/sdk/go/copass"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type input struct {
	Action      string `json:"action"`
	Stack       string `json:"stack"`
	WorkDir     string `json:"workDir"`
	ProjectName string `json:"projectName"`
	SandboxID   string `json:"sandboxId"`
	Name        string `json:"name"`
	BaseURL     string `json:"baseUrl"`
	AuthKind    string `json:"authKind"`
	Token       string `json:"token"`
}

type result struct {
	Action string `json:"action"`
	OK     bool   `json:"ok"`
	// Resource count per operation ("create", "same", "update", "delete", …), as the engine reports.
	Summary map[string]int `json:"summary,omitempty"`
	// Stack outputs after the operation, each secret replaced by "[secret]".
	Outputs map[string]any `json:"outputs,omitempty"`
	// The CLI's own output of the operation (what a user would see), for assertions and leak scans.
	Stdout string `json:"stdout,omitempty"`
	Error  string `json:"error,omitempty"`
}

// masked stands for a secret output's value: this line goes to test logs.
const masked = "[secret]"

func main() {
	in, err := readInput()
	if err != nil {
		emit(result{Error: "bad input: " + err.Error()}, 2)
	}
	res := run(context.Background(), in)
	if !res.OK {
		emit(res, 1)
	}
	emit(res, 0)
}

func readInput() (input, error) {
	raw := os.Getenv("COPASS_CONSUMER_INPUT")
	if len(os.Args) > 1 {
		raw = os.Args[1]
	}
	var in input
	if raw == "" {
		return in, errors.New("pass a JSON object as the first argument or in COPASS_CONSUMER_INPUT")
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return in, err
	}
	if in.Stack == "" || in.WorkDir == "" || in.ProjectName == "" {
		return in, errors.New("stack, workDir and projectName are required")
	}
	return in, nil
}

// program declares the one resource and exports its outputs; the token goes in as a secret.
func program(in input) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		args := &copass.UserMcpSourceArgs{
			SandboxId: pulumi.String(in.SandboxID),
			Name:      pulumi.String(in.Name),
			BaseUrl:   pulumi.String(in.BaseURL),
			AuthKind:  copass.AuthKind(in.AuthKind),
		}
		if in.Token != "" {
			args.Token = pulumi.ToSecret(pulumi.String(in.Token)).(pulumi.StringOutput)
		}
		src, err := copass.NewUserMcpSource(ctx, "source", args)
		if err != nil {
			return err
		}
		ctx.Export("id", src.ID())
		ctx.Export("dataSourceId", src.DataSourceId)
		ctx.Export("status", src.Status)
		ctx.Export("healthError", src.HealthError)
		ctx.Export("token", src.Token)
		return nil
	}
}

func run(ctx context.Context, in input) result {
	res := result{Action: in.Action}
	stack, err := auto.UpsertStackInlineSource(ctx, in.Stack, in.ProjectName, program(in), auto.WorkDir(in.WorkDir))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	switch in.Action {
	case "preview", "preview-expect-no-changes":
		opts := []optpreview.Option{optpreview.Diff()}
		if in.Action == "preview-expect-no-changes" {
			opts = append(opts, optpreview.ExpectNoChanges())
		}
		var r auto.PreviewResult
		if r, err = stack.Preview(ctx, opts...); err == nil {
			res.Stdout, res.Summary = r.StdOut, map[string]int{}
			for op, n := range r.ChangeSummary {
				res.Summary[string(op)] = n
			}
		}
	case "up":
		var r auto.UpResult
		if r, err = stack.Up(ctx, optup.Diff()); err == nil {
			res.Stdout, res.Summary = r.StdOut, counts(r.Summary)
		}
	case "refresh":
		var r auto.RefreshResult
		if r, err = stack.Refresh(ctx, optrefresh.Diff()); err == nil {
			res.Stdout, res.Summary = r.StdOut, counts(r.Summary)
		}
	case "destroy":
		var r auto.DestroyResult
		if r, err = stack.Destroy(ctx, optdestroy.Diff()); err == nil {
			res.Stdout, res.Summary = r.StdOut, counts(r.Summary)
		}
	default:
		err = fmt.Errorf("unknown action %q: use preview, preview-expect-no-changes, up, refresh or destroy", in.Action)
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if in.Action != "destroy" {
		outs, err := stack.Outputs(ctx)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		res.Outputs = map[string]any{}
		for k, v := range outs {
			res.Outputs[k] = v.Value
			if v.Secret {
				res.Outputs[k] = masked
			}
		}
	}
	res.OK = true
	return res
}

func counts(s auto.UpdateSummary) map[string]int {
	if s.ResourceChanges == nil {
		return map[string]int{}
	}
	return *s.ResourceChanges
}

func emit(res result, code int) {
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	os.Exit(code)
}
