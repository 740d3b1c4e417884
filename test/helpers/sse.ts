export interface SseEvent {
  event: string;
  data: any;
}

/** Reads server-sent events from a fetch body until the stream ends. */
export async function* sseEvents(res: Response): AsyncGenerator<SseEvent> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const lines = block.split('\n').filter((l) => !l.startsWith(':'));
      if (!lines.length) continue;
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
      yield { event, data: data === undefined ? null : JSON.parse(data) };
    }
  }
}
