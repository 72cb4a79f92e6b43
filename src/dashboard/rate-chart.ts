/** Transitions per second over the last minutes, as a line. */
export interface RateChart {
  readonly element: HTMLElement;
  /** The rate now; the chart takes one sample a second of the latest rate. */
  set(rate: number): void;
  /** Stop sampling. */
  stop(): void;
}

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 120;

function svgElement<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string>) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** A chart of the last `minutes` minutes, one sample a second, scaled to its highest value. */
export function createRateChart(minutes: number): RateChart {
  const size = minutes * 60;
  const samples: number[] = [];
  let rate = 0;
  const container = document.createElement("div");
  container.className = "rate";
  const svg = svgElement("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img" });
  const area = svgElement("path", { class: "area" });
  const line = svgElement("polyline", { class: "line", "vector-effect": "non-scaling-stroke" });
  svg.append(svgElement("line", { class: "axis", x1: "0", y1: String(HEIGHT), x2: String(WIDTH), y2: String(HEIGHT) }));
  svg.append(area, line);
  const caption = document.createElement("p");
  caption.className = "muted";
  container.append(svg, caption);

  const draw = () => {
    const top = Math.max(1, ...samples);
    const step = WIDTH / (size - 1);
    const offset = size - samples.length;
    const points = samples.map(
      (v, i) => `${((offset + i) * step).toFixed(1)},${(HEIGHT - (v / top) * (HEIGHT - 6)).toFixed(1)}`,
    );
    line.setAttribute("points", points.join(" "));
    area.setAttribute(
      "d",
      points.length > 1 ? `M${points[0]!.split(",")[0]},${HEIGHT} L${points.join(" L")} L${WIDTH},${HEIGHT} Z` : "",
    );
    caption.textContent = `now ${rate.toFixed(1)}/s · peak ${Math.max(0, ...samples).toFixed(1)}/s over the last ${minutes} min`;
  };
  const timer = setInterval(() => {
    samples.push(rate);
    if (samples.length > size) samples.shift();
    draw();
  }, 1_000);
  draw();
  return {
    element: container,
    set(value) {
      rate = value;
    },
    stop: () => clearInterval(timer),
  };
}
