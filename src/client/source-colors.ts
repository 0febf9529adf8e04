// A stable colour per source name, so one service's lines are easy to follow.
// Colour is only ever applied by the caller when the output is a terminal.

const PALETTE = ['cyan', 'green', 'yellow', 'blue', 'magenta', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright'] as const

export type PaletteColor = (typeof PALETTE)[number]

/** FNV-1a hash of the name picks the colour: the same source always gets the same one. */
export function colorFor(source: string): PaletteColor {
  let h = 0x811c9dc5
  for (let i = 0; i < source.length; i++) {
    h ^= source.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return PALETTE[h % PALETTE.length]
}
