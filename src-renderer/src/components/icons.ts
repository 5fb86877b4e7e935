/** Stroke icons (24x24, Feather-like), inlined so the app loads nothing remote. */
export const PATHS = {
  architecture: ['M4 4h6v6H4z', 'M14 4h6v6h-6z', 'M9 14h6v6H9z', 'M7 10v2h10v-2', 'M12 12v2'],
  launch: ['M6 4l14 8-14 8z'],
  live: ['M3 12h4l3-8 4 16 3-8h4'],
  history: ['M3 12a9 9 0 1 0 3-6.7', 'M3 4v5h5', 'M12 7v5l3 3'],
  compare: ['M4 20V10', 'M10 20V4', 'M16 20v-7', 'M22 20H2'],
  check: ['M5 12l5 5 9-10'],
  x: ['M6 6l12 12', 'M18 6L6 18'],
  alert: ['M12 3l10 18H2z', 'M12 10v4', 'M12 17.5v.5'],
  info: ['M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20z', 'M12 11v6', 'M12 7.5v.5'],
  file: ['M14 3H6v18h12V7z', 'M14 3v4h4', 'M9 13h6', 'M9 17h6'],
  refresh: ['M20 11a8 8 0 0 0-14.9-3', 'M4 4v4h4', 'M4 13a8 8 0 0 0 14.9 3', 'M20 20v-4h-4'],
  search: ['M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14z', 'M20 20l-4-4'],
  trash: ['M4 7h16', 'M9 7V4h6v3', 'M6 7l1 13h10l1-13'],
  pencil: ['M4 20h4L19 9l-4-4L4 16z', 'M13 7l4 4'],
  tag: ['M3 12V3h9l9 9-9 9z', 'M7.5 7.5h.01'],
  copy: ['M9 9h11v11H9z', 'M5 15H4V4h11v1'],
  external: ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v6H4V6h6'],
  stop: ['M6 6h12v12H6z'],
  play: ['M7 5l12 7-12 7z'],
  plus: ['M12 5v14', 'M5 12h14'],
  arrowRight: ['M5 12h14', 'M13 6l6 6-6 6'],
  download: ['M12 4v11', 'M7 10l5 5 5-5', 'M4 20h16'],
  upload: ['M12 20V9', 'M7 14l5-5 5 5', 'M4 4h16'],
  server: ['M4 4h16v6H4z', 'M4 14h16v6H4z', 'M8 7h.01', 'M8 17h.01'],
} as const;

export type IconName = keyof typeof PATHS;
