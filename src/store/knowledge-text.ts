import { PayloadTooLarge, ValidationError } from '../domain/errors.js';
// The package's index runs a self-test against a bundled file when loaded; the library itself does not.
import pdfParse from 'pdf-parse/lib/pdf-parse.js';

export const KNOWLEDGE_TYPES: Record<string, string> = { '.txt': 'text/plain', '.md': 'text/markdown', '.pdf': 'application/pdf' };

export function extensionOf(name: string): string {
  const m = /\.[^.\\/]+$/.exec(name.toLowerCase());
  return m ? m[0] : '';
}

/** The text of an uploaded file, for use as context; rejects types and sizes we cannot take. */
export async function extractText(fileName: string, data: Buffer, limit: number): Promise<{ text: string; mime: string }> {
  const ext = extensionOf(fileName);
  const mime = KNOWLEDGE_TYPES[ext];
  if (!mime) throw ValidationError.field('file', `Unsupported file type "${ext || fileName}"; use .txt, .md or .pdf.`);
  if (data.length > limit) throw new PayloadTooLarge(`File is larger than the ${limit}-byte upload limit.`);
  if (ext !== '.pdf') {
    const text = data.toString('utf8');
    if (text.includes('\u0000')) throw ValidationError.field('file', 'This does not look like a text file.');
    return { text, mime };
  }
  try {
    const parsed = await pdfParse(data);
    return { text: parsed.text.trim(), mime };
  } catch {
    throw ValidationError.field('file', 'This PDF could not be read.');
  }
}
