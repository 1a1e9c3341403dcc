/** Grade colours (DOMAIN §2, a rule-set choice; the server's `grade_colour` wins when present). */
export const GRADE_COLOURS: Record<number, string> = {
  1: '#1A7F37',
  2: '#57AB5A',
  3: '#D4A72C',
  4: '#E16F24',
  5: '#CF222E',
}

export function gradeColour(grade: number | null | undefined, fromServer?: string | null): string {
  if (fromServer && /^#[0-9a-fA-F]{6}$/.test(fromServer)) return fromServer
  return GRADE_COLOURS[grade ?? 0] ?? '#8c959f'
}

export const LEVEL_KEYS: Record<string, string> = { low: 'level.low', medium: 'level.medium', high: 'level.high' }
