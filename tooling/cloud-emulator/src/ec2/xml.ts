/**
 * A response body as plain data: EC2's XML is elements only, and every list is a wrapper element of `item`s
 * (`<volumeSet><item>…</item></volumeSet>`), so an array value renders as exactly that.
 */
export type XmlValue = string | number | boolean | Date | null | undefined | XmlObject | readonly XmlObject[];
export interface XmlObject {
  readonly [element: string]: XmlValue;
}

export function renderXml(object: XmlObject): string {
  return Object.entries(object)
    .map(([name, value]) => {
      if (value === undefined) return '';
      if (value === null) return `<${name}/>`;
      if (Array.isArray(value)) {
        return `<${name}>${value.map((item: XmlObject) => `<item>${renderXml(item)}</item>`).join('')}</${name}>`;
      }
      if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
      if (typeof value === 'object') return `<${name}>${renderXml(value as XmlObject)}</${name}>`;
      return `<${name}>${escapeXml(String(value))}</${name}>`;
    })
    .join('');
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
