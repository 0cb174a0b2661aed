import { describe, expect, it } from "vitest";
import { asNumber, fmtBytes, fmtDuration, fmtNum, fmtValue, fmtAgo } from "./format";

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
    expect(fmtNum("-Infinity")).toBe("−∞");
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

describe("other formats", () => {
  it("bytes", () => {
    expect(fmtBytes(512)).toBe("512 B");
    expect(fmtBytes(1536)).toBe("1.5 KB");
    expect(fmtBytes(5 * 1024 * 1024)).toBe("5 MB");
  });
  it("values of any kind", () => {
    expect(fmtValue({ _type: "image-file", path: "x" })).toBe("[image]");
    expect(fmtValue({ max: 0.93 })).toBe("0.93 (max)");
    expect(fmtValue({ _type: "float", value: "NaN" })).toBe("NaN");
    expect(fmtValue("adam")).toBe("adam");
  });
  it("asNumber", () => {
    expect(asNumber({ max: 2 })).toBe(2);
    expect(asNumber("Infinity")).toBe(Infinity);
    expect(asNumber("abc")).toBe(null);
    expect(asNumber(true)).toBe(1);
  });
  it("ago", () => {
    expect(fmtAgo(1000, 1010)).toBe("just now");
    expect(fmtAgo(1000, 1000 + 600)).toBe("10 min ago");
    expect(fmtAgo(1000, 1000 + 7200)).toBe("2 h ago");
  });
});
