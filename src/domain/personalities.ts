/** The personalities every organization starts with, so a first scenario can be written at once. */
export const PREDEFINED_PERSONALITIES: ReadonlyArray<{ name: string; description: string; language: string; accent: string }> = [
  { name: 'Normal Male', description: 'A calm, cooperative adult man who answers questions directly.', language: 'en', accent: 'American' },
  { name: 'Normal Female', description: 'A calm, cooperative adult woman who answers questions directly.', language: 'en', accent: 'American' },
  { name: 'Impatient Caller', description: 'In a hurry; interrupts long answers and asks to get to the point.', language: 'en', accent: 'American' },
  { name: 'Confused Elderly Caller', description: 'Speaks slowly, asks for repetition and mishears details.', language: 'en', accent: 'British' },
  {
    name: 'Angry Customer',
    description: 'Frustrated by a previous bad experience; raises their voice and threatens to leave.',
    language: 'en',
    accent: 'American',
  },
  {
    name: 'Non-native Speaker',
    description: 'Speaks English as a second language with simple sentences and occasional wrong words.',
    language: 'en',
    accent: 'Indian',
  },
  { name: 'Spanish Speaker', description: 'A cooperative caller who speaks Spanish.', language: 'es', accent: 'Mexican' },
  { name: 'French Speaker', description: 'A cooperative caller who speaks French.', language: 'fr', accent: 'Parisian' },
  { name: 'German Speaker', description: 'A cooperative caller who speaks German.', language: 'de', accent: 'Standard German' },
];
