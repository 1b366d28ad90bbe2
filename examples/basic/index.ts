import * as pulumi from "@pulumi/pulumi";
import { UserMcpSource } from "pulumi-copass";

// Provider settings come from stack config (or COPASS_* environment variables), never from
// resource inputs, so the API key never lands in state:
//   pulumi config set copass:apiUrl https://api.copass.id
//   pulumi config set --secret copass:apiKey olk_...
const cfg = new pulumi.Config();

const crm = new UserMcpSource("crm", {
  sandboxId: cfg.require("sandboxId"),
  name: "CRM tools",
  baseUrl: cfg.require("mcpUrl"),
  authKind: "bearer",
  token: cfg.requireSecret("crmMcpToken"),
  appNamespace: "crm",
  allowedTools: ["search_accounts", "get_account"],
  // Fail the deployment when the MCP server does not answer within two minutes.
  healthPolicy: "require",
  healthTimeoutSeconds: 120,
});

export const crmSourceId = crm.dataSourceId;
export const crmStatus = crm.status; // "active" | "error" | ...
export const crmHealthError = crm.healthError; // null when healthy
