// The collectors users ask for with --include and --command.

import type {Collector} from '../types.js'
import {includeCollector, userCommandCollector} from './extra.js'

export function extraCollectors(includes: string[], commands: {name: string; command: string}[]): Collector[] {
  return [...includes.map((p) => includeCollector(p)), ...commands.map((c) => userCommandCollector(c.name, c.command))]
}
