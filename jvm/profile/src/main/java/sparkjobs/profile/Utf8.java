package sparkjobs.profile;

/**
 * Fast paths over UTF-8 bytes: each accepts only texts the type rule's definition accepts too
 * (checked by the type-rule equivalence test), and parses them as Spark's cast does.
 */
final class Utf8 {
  private Utf8() {}

  private static final double[] POW10 = new double[23];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  static boolean digits(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return false;
      }
    }
    return true;
  }

  static int num(byte[] b, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      v = v * 10 + (b[i] - '0');
    }
    return v;
  }

  private static int signed(byte[] b, int off) {
    return (b[off] == '+' || b[off] == '-') ? 1 : 0;
  }

  /** [+-]?[0-9]{1,18}: matches the Integer pattern and always fits a long. */
  static boolean plainInteger(byte[] b, int off, int len) {
    int s = signed(b, off);
    return len - s >= 1 && len - s <= 18 && digits(b, off + s, off + len);
  }

  static long parseLong(byte[] b, int off, int len) {
    int s = signed(b, off);
    long v = 0;
    for (int i = off + s; i < off + len; i++) {
      v = v * 10 + (b[i] - '0');
    }
    return b[off] == '-' ? -v : v;
  }

  /** [+-]?[0-9]+(\.[0-9]*)? or [+-]?\.[0-9]+: a subset of the Decimal pattern. */
  static boolean plainDecimal(byte[] b, int off, int len) {
    int end = off + len;
    int i = off + signed(b, off);
    int before = 0;
    while (i < end && b[i] >= '0' && b[i] <= '9') {
      i++;
      before++;
    }
    if (i == end) {
      return before > 0;
    }
    if (b[i] != '.') {
      return false;
    }
    i++;
    int after = 0;
    while (i < end && b[i] >= '0' && b[i] <= '9') {
      i++;
      after++;
    }
    return i == end && (before > 0 || after > 0);
  }

  /**
   * A plain decimal of at most 15 digits as Double.parseDouble reads it: the digits and the
   * power of ten are exact doubles, so their IEEE quotient is the correctly rounded value.
   * NaN when the text has more digits (the caller then parses it the slow way).
   */
  static double exactDecimal(byte[] b, int off, int len) {
    long digits = 0;
    int count = 0;
    int scale = 0;
    boolean fraction = false;
    for (int i = off + signed(b, off); i < off + len; i++) {
      if (b[i] == '.') {
        fraction = true;
        continue;
      }
      if (++count > 15) {
        return Double.NaN;
      }
      digits = digits * 10 + (b[i] - '0');
      if (fraction) {
        scale++;
      }
    }
    double value = digits / POW10[scale];
    return b[off] == '-' ? -value : value;
  }

  /** Characters (code points) of valid UTF-8: every byte but the continuation bytes. */
  static int codePoints(byte[] b, int off, int len) {
    int n = 0;
    for (int i = off; i < off + len; i++) {
      if ((b[i] & 0xC0) != 0x80) {
        n++;
      }
    }
    return n;
  }

  /** A 64-bit FNV-1a hash of the bytes (the HLL sketch hashes it once more). */
  static long hash(byte[] b, int off, int len) {
    long h = 0xcbf29ce484222325L;
    for (int i = off; i < off + len; i++) {
      h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
