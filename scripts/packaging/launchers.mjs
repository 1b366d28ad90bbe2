// The launchers of the portable tarballs: each runs pulumi-resource-copass.cjs (beside it) on the
// Node.js on PATH, passing the engine's arguments and stdout through (the port line). Named as the
// Pulumi CLI looks for a plugin: no extension on macOS and Linux, `.cmd` on Windows.

const sh = `#!/bin/sh
# pulumi-resource-copass, portable: the copass plugin bundled into one file, run on the Node.js
# (>= 20) on PATH. No self-contained executable is built for this platform (docs/development.md "Platforms").
if ! command -v node >/dev/null 2>&1; then
  echo "pulumi-resource-copass: needs Node.js >= 20 on PATH (this platform's release is the portable bundle; or: npm install --global pulumi-copass)" >&2
  exit 1
fi
exec node "$(dirname "$0")/pulumi-resource-copass.cjs" "$@"
`;

// cmd.exe reads CRLF; %~dp0 is this file's folder, with a trailing backslash.
const cmd = [
  "@echo off",
  "rem pulumi-resource-copass, portable: the copass plugin bundled into one file, run on the Node.js",
  'rem (20 or later) on PATH. No self-contained executable is built for this platform (docs/development.md "Platforms").',
  "where node >nul 2>nul || (",
  "  echo pulumi-resource-copass: needs Node.js ^>= 20 on PATH ^(this platform's release is the portable bundle; or: npm install --global pulumi-copass^) 1>&2",
  "  exit /b 1",
  ")",
  'node "%~dp0pulumi-resource-copass.cjs" %*',
  "",
].join("\r\n");

export function launcher(kind) {
  if (kind === "sh") return { name: "pulumi-resource-copass", text: sh };
  if (kind === "cmd") return { name: "pulumi-resource-copass.cmd", text: cmd };
  throw new Error(`no launcher of kind ${kind}`);
}
