import * as React from "react";
import { cn } from "@/lib/utils";
import { dateTimeFormat } from "@/lib/format";

/** Colours are full Tailwind class names (stroke for the line, fill for the area and the legend swatch) so the build sees them. */
export type Series = { label: string; points: { t: number; v: number }[]; className: string; fillClassName?: string; swatchClassName: string };

const W = 600;
const H = 160;
const PAD = { top: 10, right: 8, bottom: 20, left: 52 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

/** A small SVG line chart: one or more series over time, with a hover readout. */
export function LineChart({
  series,
  formatValue,
  fixedMax,
  ariaLabel,
  className,
}: {
  series: Series[];
  formatValue: (v: number) => string;
  fixedMax?: number;
  ariaLabel: string;
  className?: string;
}) {
  const [hover, setHover] = React.useState<number | null>(null);
  const all = series.flatMap((s) => s.points);
  if (all.length < 2) {
    return <div className={cn("flex h-40 items-center justify-center text-sm text-muted-foreground", className)}>Not enough data yet</div>;
  }
  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t));
  const max = fixedMax ?? niceMax(Math.max(...all.map((p) => p.v)));
  const x = (t: number) => PAD.left + ((t - tMin) / Math.max(1, tMax - tMin)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - Math.min(v, max) / max) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.5, 1].map((f) => f * max);
  // Over a day or so, the same clock time appears at both ends: name the day too.
  const timeFormat = dateTimeFormat(undefined, tMax - tMin > 12 * 3600 ? { weekday: "short", hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
  const time = (t: number) => timeFormat.format(new Date(t * 1000));
  const base = series[0].points;

  const onMove = (e: React.MouseEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * W;
    let best = 0;
    for (let i = 1; i < base.length; i++) if (Math.abs(x(base[i].t) - px) < Math.abs(x(base[best].t) - px)) best = i;
    setHover(best);
  };

  return (
    <div className={cn("relative", className)}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="h-40 w-full overflow-visible"
        role="img"
        aria-label={ariaLabel}
        preserveAspectRatio="none"
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      >
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="stroke-border" strokeDasharray={v === 0 ? undefined : "3 4"} vectorEffect="non-scaling-stroke" />
            <text x={PAD.left - 8} y={y(v)} dy="0.32em" textAnchor="end" className="fill-muted-foreground text-[10px]">
              {formatValue(v)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 4} className="fill-muted-foreground text-[10px]">{time(tMin)}</text>
        <text x={W - PAD.right} y={H - 4} textAnchor="end" className="fill-muted-foreground text-[10px]">{time(tMax)}</text>
        {series.map((s) => {
          const d = s.points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
          const area = `${d} L${x(s.points[s.points.length - 1].t).toFixed(1)},${y(0)} L${x(s.points[0].t).toFixed(1)},${y(0)} Z`;
          return (
            <g key={s.label}>
              {s.fillClassName && <path d={area} className={s.fillClassName} />}
              <path d={d} fill="none" strokeWidth={1.75} strokeLinejoin="round" className={s.className} vectorEffect="non-scaling-stroke" />
            </g>
          );
        })}
        {hover !== null && (
          <line x1={x(base[hover].t)} x2={x(base[hover].t)} y1={PAD.top} y2={H - PAD.bottom} className="stroke-muted-foreground/50" vectorEffect="non-scaling-stroke" />
        )}
      </svg>
      <div className="mt-1 flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-muted-foreground">
        {series.map((s) => {
          const p = hover !== null ? s.points[Math.min(hover, s.points.length - 1)] : s.points[s.points.length - 1];
          return (
            <span key={s.label} className="inline-flex items-center gap-1.5">
              <span className={cn("inline-block size-2.5 rounded-sm", s.swatchClassName)} aria-hidden="true" />
              {s.label} <span className="font-medium text-foreground tabular-nums">{formatValue(p.v)}</span>
            </span>
          );
        })}
        {hover !== null && <span className="ml-auto tabular-nums">{time(base[hover].t)}</span>}
      </div>
    </div>
  );
}
