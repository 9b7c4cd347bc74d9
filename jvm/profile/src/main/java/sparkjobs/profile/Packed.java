package sparkjobs.profile;

import java.nio.charset.StandardCharsets;

/**
 * The aggregate's input: one binary value per row, every profiled column's text as UTF-8, the
 * texts separated by the byte 0xFF (spark_jobs/profile/aggregate.py builds it with
 * {@code concat(cast(t0 as binary), X'FF', cast(t1 as binary), ...)}; null goes in as the empty
 * text, both are missing). 0xFF never occurs in UTF-8, so the split is exact for every valid
 * text; a row whose count of 0xFF bytes is not columns - 1 held an invalid text and is counted
 * apart (the profile then fails with a clear error instead of guessing). Why one binary: Spark
 * then hands the aggregate one byte array per row instead of a java.lang.String per value.
 */
final class Packed {
  private Packed() {}

  static final byte SEPARATOR = (byte) 0xFF;

  /**
   * The end offsets of the row's fields (exclusive) into {@code ends}; false when the row does
   * not have exactly {@code ends.length} fields.
   */
  static boolean split(byte[] row, int[] ends) {
    int field = 0;
    for (int i = 0; i < row.length; i++) {
      if (row[i] == SEPARATOR) {
        if (field == ends.length - 1) {
          return false;
        }
        ends[field++] = i;
      }
    }
    if (field != ends.length - 1) {
      return false;
    }
    ends[field] = row.length;
    return true;
  }

  /** The texts of a row {@link #split} accepted. */
  static String[] texts(byte[] row, int columns) {
    int[] ends = new int[columns];
    split(row, ends);
    String[] out = new String[columns];
    int start = 0;
    for (int i = 0; i < columns; i++) {
      out[i] = new String(row, start, ends[i] - start, StandardCharsets.UTF_8);
      start = ends[i] + 1;
    }
    return out;
  }
}
