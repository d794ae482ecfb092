import QRCode from 'qrcode';
import type { QrRenderer } from './service.ts';

/** The `qrcode` package: PNG as a data URL for <img>, SVG for inline rendering. */
export const qrcodeRenderer: QrRenderer = {
  pngDataUrl: (text) => QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
  svg: (text) => QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
};
