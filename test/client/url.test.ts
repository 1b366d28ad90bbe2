import { describe, expect, it } from "vitest";
import { urlProblem } from "../../src/client/url";

// urlProblem keeps its answers (issue 24): a kept answer must be the one its own question gets.
describe("urlProblem's kept answers", () => {
  it("names the setting asked about, not one asked about before with the same URL", () => {
    const bad = "http://mcp.example.com/mcp";
    expect(urlProblem("baseUrl", bad, "https://x.example")).toMatch(/^baseUrl uses plain http/);
    expect(urlProblem("The Copass API URL", bad, "https://x.example")).toMatch(
      /^The Copass API URL uses plain http/,
    );
  });

  it("gives the example asked with, and judges each URL on its own", () => {
    expect(urlProblem("apiUrl", "not a url", "https://a.example")).toContain("https://a.example");
    expect(urlProblem("apiUrl", "not a url", "https://b.example")).toContain("https://b.example");
    expect(urlProblem("apiUrl", "https://api.copass.id", "https://a.example")).toBeUndefined();
    expect(urlProblem("apiUrl", "https://api.copass.id/", "https://a.example")).toMatch(/trailing/);
  });

  it("still judges every URL after it has kept the answers for hundreds", () => {
    for (let i = 0; i < 600; i++) {
      expect(urlProblem("baseUrl", `https://mcp${i}.example.com/mcp`, "x")).toBeUndefined();
    }
    expect(urlProblem("baseUrl", "https://user:pw@mcp.example.com/mcp", "x")).toMatch(/credentials/);
  });
});
