// CSV and PNG export of charts and tables, done in the browser from the data on screen.

import { h } from "./dom.js";
import { dataNow, utcText } from "./time.js";

function csvCell(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvText(columns, rows) {
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) lines.push(row.map(csvCell).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function canvasBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("PNG encoding failed"))), "image/png");
  });
}

export async function svgToPng(svg, scale = 2) {
  const width = Number(svg.getAttribute("width"));
  const height = Number(svg.getAttribute("height"));
  const text = new XMLSerializer().serializeToString(svg);
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await image.decode();
  const canvas = h("canvas", { width: width * scale, height: height * scale });
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvasBlob(canvas);
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

// A table drawn on a canvas from its data (never from the page), with a title and a source line.
export async function tableToPng(title, columns, rows, scale = 2) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.font = `13px ${FONT}`;
  const cells = [columns, ...rows].map((row) => row.map((v) => (v === null || v === undefined ? "" : String(v))));
  const widths = columns.map((_, i) => Math.min(420, Math.max(...cells.map((r) => probe.measureText(r[i]).width)) + 20));
  const rowHeight = 24;
  const width = Math.max(360, widths.reduce((a, b) => a + b, 0) + 24);
  const height = 44 + cells.length * rowHeight + 28;
  const canvas = h("canvas", { width: width * scale, height: height * scale });
  const context = canvas.getContext("2d");
  context.scale(scale, scale);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.fillStyle = "#111827";
  context.font = `600 15px ${FONT}`;
  context.fillText(title, 12, 26);
  cells.forEach((row, r) => {
    const top = 44 + r * rowHeight;
    if (r % 2 === 1) {
      context.fillStyle = "#f3f4f6";
      context.fillRect(12, top, width - 24, rowHeight);
    }
    context.fillStyle = "#111827";
    context.font = `${r === 0 ? "600 " : ""}13px ${FONT}`;
    let left = 12;
    row.forEach((text, i) => {
      context.fillText(text, left + 8, top + 16, widths[i] - 12);
      left += widths[i];
    });
  });
  context.fillStyle = "#4b5563";
  context.font = `12px ${FONT}`;
  // The data's time, not the reader's clock: a replayed or delayed board is dated by its own data.
  const asOf = dataNow();
  context.fillText(`Source: downwatch, ${location.host}${asOf ? ` — data as of ${utcText(asOf)}` : ""}`, 12, height - 10);
  return canvasBlob(canvas);
}

// The CSV and PNG buttons under a chart or table. table() returns {columns, rows}; png() a Blob.
export function exportBar(name, { table, png }) {
  const csvButton = h("button", {
    type: "button", class: "export", "data-export": "csv", "aria-label": `Download ${name} as CSV`,
    onclick: () => {
      const { columns, rows } = table();
      download(new Blob([csvText(columns, rows)], { type: "text/csv;charset=utf-8" }), `${name}.csv`);
    },
  }, "CSV");
  const pngButton = h("button", {
    type: "button", class: "export", "data-export": "png", "aria-label": `Download ${name} as PNG`,
    onclick: async () => {
      pngButton.disabled = true;
      try {
        download(await png(), `${name}.png`);
      } finally {
        pngButton.disabled = false;
      }
    },
  }, "PNG");
  return h("div", { class: "export-bar" }, h("span", { class: "muted" }, "Download"), csvButton, pngButton);
}
