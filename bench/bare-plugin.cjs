// The floor of issue 18's plugin target: a bare `provider.main` server of @pulumi/pulumi (no
// schema, no provider logic), started the way the engine starts a plugin. @pulumi/pulumi is
// resolved from the working directory: the bench runs it in the consumer project.
"use strict";
const { createRequire } = require("node:module");
const path = require("node:path");

const fromProject = createRequire(path.join(process.cwd(), "package.json"));
fromProject("@pulumi/pulumi/provider").main({ version: "0.0.0" }, process.argv.slice(2));
