import { describe, expect, it } from "vitest";
import { asNumber, decodeValue, encodeValue, fmtBytes, fmtDuration, fmtNum, fmtValue, fmtAgo, tagOf, projectEntity, projectName } from "./format";

describe("fmtNum", () => {
  it("keeps small integers and short decimals", () => {
    expect(fmtNum(0)).toBe("0");
    expect(fmtNum(42)).toBe("42");
    expect(fmtNum(-7)).toBe("-7");
    expect(fmtNum(0.9312)).toBe("0.9312");
    expect(fmtNum(0.5)).toBe("0.5");
    expect(fmtNum(1.23456)).toBe("1.235");
  });
  it("abbreviates large numbers", () => {
    expect(fmtNum(1234)).toBe("1234");
    expect(fmtNum(12345)).toBe("12.3k");
    expect(fmtNum(1200.5)).toBe("1.2k");
    expect(fmtNum(3_400_000)).toBe("3.4M");
    expect(fmtNum(-2.5e9)).toBe("-2.5G");
  });
  it("uses exponents for tiny and huge numbers", () => {
    expect(fmtNum(3.4e-5)).toBe("3.4e-5");
    expect(fmtNum(1e-7)).toBe("1e-7");
    expect(fmtNum(2e20)).toBe("2e20");
  });
  it("names non-finite values", () => {
    expect(fmtNum(NaN)).toBe("NaN");
    expect(fmtNum(Infinity)).toBe("∞");
    expect(fmtNum({ $float: "-Infinity" })).toBe("−∞");
    expect(fmtNum({ $float: "NaN" })).toBe("NaN");
    expect(fmtNum(null)).toBe("–");
  });
});

describe("fmtDuration", () => {
  it("reads like a person would say it", () => {
    expect(fmtDuration(0.25)).toBe("250ms");
    expect(fmtDuration(4.5)).toBe("4.5s");
    expect(fmtDuration(42)).toBe("42s");
    expect(fmtDuration(125)).toBe("2m 5s");
    expect(fmtDuration(7980)).toBe("2h 13m");
    expect(fmtDuration(200000)).toBe("2d 7h");
    expect(fmtDuration(null)).toBe("–");
  });
});

describe("the tagged encoding of runyard/jsonvalue.py", () => {
  it("keeps strings that look like numbers as strings", () => {
    expect(fmtNum("NaN")).toBe("NaN");
    expect(fmtNum("Infinity")).toBe("Infinity");
    expect(asNumber("Infinity")).toBe(null);
    expect(asNumber("NaN")).toBe(null);
    expect(decodeValue("NaN")).toBe("NaN");
  });
  it("decodes and encodes every tag, at any depth", () => {
    const wire = { a: { $float: "NaN" }, b: [{ $float: "-Infinity" }, 1.5], c: { $int: "9007199254740993" },
      d: { $bytes: "AAH/" }, e: { $object: { $float: "not a tag here" } }, f: { g: -0 }, s: "Infinity" };
    const js = decodeValue(wire) as Record<string, unknown>;
    expect(Number.isNaN(js.a)).toBe(true);
    expect((js.b as unknown[])[0]).toBe(-Infinity);
    expect(js.c).toBe(9007199254740993n);
    expect(Array.from(js.d as Uint8Array)).toEqual([0, 1, 255]);
    expect(js.e).toEqual({ $float: "not a tag here" });
    expect(Object.is((js.f as { g: number }).g, -0)).toBe(true);
    expect(js.s).toBe("Infinity");
    expect(encodeValue(js)).toEqual(wire);
    expect(tagOf({ $float: "NaN" })).toBe("$float");
    expect(tagOf({ $float: "NaN", other: 1 })).toBe(null);
    expect(tagOf("NaN")).toBe(null);
  });
});

describe("other formats", () => {
  it("bytes", () => {
    expect(fmtBytes(512)).toBe("512 B");
    expect(fmtBytes(1536)).toBe("1.5 KB");
    expect(fmtBytes(5 * 1024 * 1024)).toBe("5 MB");
  });
  it("values of any kind", () => {
    expect(fmtValue({ _type: "image-file", path: "x" })).toBe("[image]");
    expect(fmtValue({ max: 0.93 })).toBe("0.93 (max)");
    expect(fmtValue({ _type: "float", value: "NaN" })).toBe("NaN"); // table files of earlier versions
    expect(fmtValue({ $float: "Infinity" })).toBe("∞");
    expect(fmtValue({ $int: "18446744073709551615" })).toBe("18446744073709551615");
    expect(fmtValue({ $bytes: "AAEC" })).toBe("<3 bytes>");
    expect(fmtValue("adam")).toBe("adam");
  });
  it("asNumber", () => {
    expect(asNumber({ max: 2 })).toBe(2);
    expect(asNumber({ $float: "Infinity" })).toBe(Infinity);
    expect(asNumber({ $float: "banana" })).toBe(null);
    expect(asNumber("abc")).toBe(null);
    expect(asNumber(true)).toBe(1);
  });
  it("ago", () => {
    expect(fmtAgo(1000, 1010)).toBe("just now");
    expect(fmtAgo(1000, 1000 + 600)).toBe("10 min ago");
    expect(fmtAgo(1000, 1000 + 7200)).toBe("2 h ago");
  });
});

describe("project keys", () => {
  it("names a project without its entity", () => {
    expect(projectName("bob:mnist", "bob")).toBe("mnist");
    expect(projectName("mnist", "alice")).toBe("mnist"); // the first "mnist" keeps its bare key
    expect(projectName("bob:mnist")).toBe("mnist");
    expect(projectName("demo")).toBe("demo");
    expect(projectEntity("lab:mnist")).toBe("lab");
    expect(projectEntity("demo")).toBeNull();
  });
});
