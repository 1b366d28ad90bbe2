// Command sdkgen writes the Python and Go SDKs of a Pulumi package from its schema, with Pulumi's
// own code generators (github.com/pulumi/pulumi/pkg/v3/codegen/python and …/codegen/go).
//
//	sdkgen <schema.json> <outdir>   →   <outdir>/python, <outdir>/go
//
// Why not `pulumi package gen-sdk --language python`: the CLI hands SDK generation to the
// language host, and the only Python host that builds here (sdk/v3@v3.68.0) answers "method
// GeneratePackage not implemented" (issue 16). The generators are plain Go packages in pkg/v3,
// the module the CLI build (scripts/pulumi-cli.sh) already downloads, so this calls them directly,
// at the CLI's version. scripts/pulumi-cli.sh builds and caches this tool.
//
// The schema must stand alone (no dependencies on other Pulumi packages): the loader refuses every
// lookup rather than reaching for plugins or the network.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generators stamp in every file's "do not edit" header.
const tool = "pulumi-copass sdkgen"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen <schema.json> <outdir>  (writes <outdir>/python and <outdir>/go)")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, outdir string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s is not a Pulumi package schema: %w", schemaPath, err)
	}
	// Each generator decodes its own `language` section into the bound package, so each gets a
	// freshly bound one.
	bind := func() (*schema.Package, error) {
		pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{})
		if err != nil {
			return nil, err
		}
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s does not bind: %w", schemaPath, diags)
		}
		return pkg, nil
	}

	pkg, err := bind()
	if err != nil {
		return err
	}
	py, err := pygen.GeneratePackage(tool, pkg, nil, noDependencies{})
	if err != nil {
		return fmt.Errorf("python: %w", err)
	}
	if err := write(filepath.Join(outdir, "python"), py); err != nil {
		return err
	}

	if pkg, err = bind(); err != nil {
		return err
	}
	goFiles, err := gogen.GeneratePackage(tool, pkg, nil)
	if err != nil {
		return fmt.Errorf("go: %w", err)
	}
	if _, ok := goFiles["go.mod"]; !ok {
		// A consumer reaches the Go SDK through a `replace` to its folder, which needs a go.mod;
		// the generator writes one only for a package with meta.supportPack.
		return errors.New(`go: no go.mod generated; set "meta": {"supportPack": true} in the schema`)
	}
	return write(filepath.Join(outdir, "go"), goFiles)
}

// write replaces dir with exactly the generated files, so a field removed from the schema leaves
// no stale file behind.
func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noDependencies is the schema loader: the copass schema references no other package, and a
// lookup would otherwise start plugins or download them.
type noDependencies struct{}

var errDependency = errors.New("the schema references another Pulumi package; sdkgen supports standalone schemas only")

func (noDependencies) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errDependency
}
