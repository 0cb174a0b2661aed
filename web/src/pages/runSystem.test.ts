import { describe, expect, it } from "vitest";
import { systemGroups, systemLineSettings, systemTitle } from "./runSystem";

describe("system metrics on the run page", () => {
  it("groups GPU metrics by metric, one entry per GPU in GPU order", () => {
    const g = systemGroups(["system/gpu.1.utilization_percent", "system/cpu.percent", "loss",
      "system/gpu.0.utilization_percent", "system/gpu.10.utilization_percent", "system/gpu.0.power_watts"]);
    expect(g.plain).toEqual(["system/cpu.percent"]);
    expect(g.gpu.get("utilization_percent")!.map((x) => x.gpu)).toEqual([0, 1, 10]);
    expect(g.gpu.get("power_watts")!.map((x) => x.key)).toEqual(["system/gpu.0.power_watts"]);
  });
  it("titles keys and charts them against relative time in the workspace", () => {
    expect(systemTitle("system/proc.rss_mb")).toBe("Process memory, RSS (MiB)");
    expect(systemTitle("system/gpu.2.temperature_c")).toBe("GPU temperature (°C) · GPU 2");
    expect(systemTitle("system/new.metric")).toBe("system/new.metric");
    expect(systemLineSettings("system/cpu.percent")).toEqual({ xAxis: "_runtime" });
    expect(systemLineSettings("train/loss")).toEqual({});
  });
});
