import { describe, expect, it } from "vitest";
import { fillSpec } from "./preset";

describe("fillSpec", () => {
  it("fills fields and strings and drops unmapped optional channels", () => {
    const spec = { title: "${string:title}", encoding: { x: { field: "${field:x}" }, y: { field: "${field:y}" }, color: { field: "${field:stroke}" } } };
    expect(fillSpec(spec, { x: "step", y: "a.b" }, { title: "T" })).toEqual({
      title: "T", encoding: { x: { field: "step" }, y: { field: "a\\.b" } },
    });
    expect(fillSpec({ title: "${string:none}" }, {})).toEqual({ title: "" });
  });
});
