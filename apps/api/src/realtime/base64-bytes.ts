import { BASE64_PATTERN } from '@conclave/contracts';
import { ValidateBy } from 'class-validator';

/** Standard base64 that decodes to min..max bytes (checked on the decoded length, not the text's). */
export const Base64Bytes = (min: number, max: number, message: string) =>
  ValidateBy({
    name: 'base64Bytes',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !BASE64_PATTERN.test(value)) return false;
        const bytes = (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);
        return bytes >= min && bytes <= max;
      },
      defaultMessage: () => message,
    },
  });
