// publication_data_format: what a namespace accepts as publication data.
// Shared by client publishes and the server API so both doors agree.

export function validPublicationData(data: Buffer, format: string): boolean {
  switch (format) {
    case 'binary':
      return true;
    case 'json':
    case 'json_object':
      try {
        const v: unknown = JSON.parse(data.toString('utf8'));
        return format === 'json' || (typeof v === 'object' && v !== null && !Array.isArray(v));
      } catch {
        return false;
      }
    default:
      return data.length > 0;
  }
}
