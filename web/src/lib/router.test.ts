import { describe, expect, it } from "vitest";
import { parsePath } from "./router";

describe("parsePath", () => {
  it("names every page", () => {
    expect(parsePath("/")).toEqual({ page: "projects" });
    expect(parsePath("/p/my%20proj")).toEqual({ page: "workspace", project: "my proj" });
    expect(parsePath("/p/x/r/abc")).toEqual({ page: "run", project: "x", run: "abc", tab: undefined });
    expect(parsePath("/p/x/r/abc/logs")).toEqual({ page: "run", project: "x", run: "abc", tab: "logs" });
    expect(parsePath("/nope/x")).toEqual({ page: "missing" });
    expect(parsePath("/p/x/artifacts")).toEqual({ page: "artifacts", project: "x", artifact: undefined, version: undefined });
    expect(parsePath("/p/x/artifacts/ds/v3")).toEqual({ page: "artifacts", project: "x", artifact: "ds", version: "v3" });
  });
});

describe("api docs route", () => {
  it("is a page of its own", () => {
    expect(parsePath("/api-docs")).toEqual({ page: "apidocs" });
  });
});
