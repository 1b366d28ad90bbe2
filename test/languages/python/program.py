"""A Python program that manages one copass:index:UserMcpSource through the SDK generated from the
plugin's schema (tools/sdkgen), run as an Automation API inline program: no Python language host,
the real `pulumi` CLI from PATH, the engine starting pulumi-resource-copass from PATH (issue 16).

Input: one JSON object, as the first argument or in COPASS_CONSUMER_INPUT:
  {"action": "preview"|"up"|"refresh"|"destroy"|"preview-expect-no-changes",
   "stack", "workDir", "projectName", "sandboxId", "name", "baseUrl", "authKind", "token"}

Output: ONE JSON line on stdout; exit 1 when the operation failed, 2 on bad input. The backend,
passphrase and provider configuration come from the environment (PULUMI_BACKEND_URL,
PULUMI_CONFIG_PASSPHRASE, COPASS_API_URL, COPASS_API_KEY), as for any pulumi command.
test/languages/go/main.go is the same program in Go: keep them alike.
"""

import json
import os
import sys

import pulumi
import pulumi_copass as copass
from pulumi import automation as auto

# Stands for a secret output's value: this line goes to test logs.
MASKED = "[secret]"


def read_input():
    raw = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COPASS_CONSUMER_INPUT", "")
    if not raw:
        raise ValueError("pass a JSON object as the first argument or in COPASS_CONSUMER_INPUT")
    data = json.loads(raw)
    if not all(data.get(k) for k in ("stack", "workDir", "projectName")):
        raise ValueError("stack, workDir and projectName are required")
    return data


def program(data):
    """Declares the one resource and exports its outputs; the token goes in as a secret."""

    def run():
        token = data.get("token")
        src = copass.UserMcpSource(
            "source",
            sandbox_id=data.get("sandboxId"),
            name=data.get("name"),
            base_url=data.get("baseUrl"),
            auth_kind=data.get("authKind"),
            token=pulumi.Output.secret(token) if token else None,
        )
        pulumi.export("id", src.id)
        pulumi.export("dataSourceId", src.data_source_id)
        pulumi.export("status", src.status)
        pulumi.export("healthError", src.health_error)
        pulumi.export("token", src.token)

    return run


def operate(data):
    """Runs the action; returns (summary, stdout)."""
    stack = auto.create_or_select_stack(
        stack_name=data["stack"],
        project_name=data["projectName"],
        program=program(data),
        # For an inline program the work_dir keyword is ignored: only the option places Pulumi.yaml.
        opts=auto.LocalWorkspaceOptions(work_dir=data["workDir"]),
    )
    action = data.get("action")
    if action in ("preview", "preview-expect-no-changes"):
        r = stack.preview(diff=True, expect_no_changes=action == "preview-expect-no-changes")
        return {str(k.value if hasattr(k, "value") else k): v for k, v in r.change_summary.items()}, r.stdout
    if action == "up":
        r = stack.up(diff=True)
    elif action == "refresh":
        r = stack.refresh(diff=True)
    elif action == "destroy":
        r = stack.destroy(diff=True)
    else:
        raise ValueError(
            f"unknown action {action!r}: use preview, preview-expect-no-changes, up, refresh or destroy"
        )
    return dict(r.summary.resource_changes or {}), r.stdout


def outputs(data):
    stack = auto.select_stack(
        stack_name=data["stack"],
        project_name=data["projectName"],
        program=program(data),
        opts=auto.LocalWorkspaceOptions(work_dir=data["workDir"]),
    )
    return {k: (MASKED if v.secret else v.value) for k, v in stack.outputs().items()}


def emit(result, code):
    print(json.dumps(result), flush=True)
    sys.exit(code)


def main():
    try:
        data = read_input()
    except (ValueError, json.JSONDecodeError) as e:
        emit({"ok": False, "error": f"bad input: {e}"}, 2)
    result = {"action": data.get("action"), "ok": False}
    try:
        result["summary"], result["stdout"] = operate(data)
        if data.get("action") != "destroy":
            result["outputs"] = outputs(data)
    except Exception as e:  # noqa: BLE001 - every failure becomes the one JSON line
        result["error"] = str(e)
        emit(result, 1)
    result["ok"] = True
    emit(result, 0)


if __name__ == "__main__":
    main()
