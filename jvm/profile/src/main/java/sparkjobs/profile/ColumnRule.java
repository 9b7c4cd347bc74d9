package sparkjobs.profile;

import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.apache.spark.sql.catalyst.util.LegacyDateFormats;
import org.apache.spark.sql.catalyst.util.TimestampFormatter;

/**
 * One column's type rule: classifies a value (its text) as valid, mismatched or missing and
 * parses the valid value, exactly as {@code spark_jobs.recipe.types.classify} does in Spark
 * expressions.
 *
 * <p>The definition stays in Python: the regular expressions, date formats, format guards and
 * the ISO fast-path shapes come from {@code recipe/types.py} through the profile's spec. What
 * this class adds are fast paths that accept only texts the definition accepts too (plain
 * digits, plain decimals, ISO dates), falling back to the definition's own regular expression
 * and Spark's own date parser for every other text. A test feeds both sides the same values.
 */
final class ColumnRule implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int VALID = 0;
  static final int MISMATCHED = 1;
  static final int MISSING = 2;

  static final int NUMBER = 0;
  static final int DATETIME = 1;
  static final int STRING = 2;

  private static final long MICROS_PER_SECOND = 1_000_000L;

  final int kind;
  final String type;
  private final String regex;
  private final String[] formats;
  private final String[] guards;
  /** which of Spark's cast-equivalent ISO shapes take the cast (types.py's _cast_fast_path) */
  private final boolean allowsDate;
  private final boolean allowsSpace;
  private final boolean allowsT;
  private final String zone;

  private static final int T_STRING = 0;
  private static final int T_INTEGER = 1;
  private static final int T_DECIMAL = 2;
  private static final int T_DATE = 3;
  private static final int T_OTHER = 4;

  private transient int code;
  private transient Pattern pattern;
  private transient Pattern[] guardPatterns;
  private transient TimestampFormatter[] formatters;
  private transient ZoneId zoneId;
  private transient ZoneOffset fixedOffset;
  private transient boolean prepared;

  /** The parsed value of the last valid text: a number, or epoch microseconds. */
  double number;
  long micros;

  ColumnRule(
      int kind,
      String type,
      String regex,
      List<String> formats,
      List<String> guards,
      List<String> castFormats,
      String zone) {
    this.kind = kind;
    this.type = type;
    this.regex = regex;
    this.formats = formats.toArray(new String[0]);
    this.guards = guards.toArray(new String[0]);
    this.allowsDate = castFormats.contains("yyyy-MM-dd");
    this.allowsSpace = castFormats.contains("yyyy-MM-dd HH:mm:ss");
    this.allowsT = castFormats.contains("yyyy-MM-dd'T'HH:mm:ss");
    this.zone = zone;
  }

  private void prepare() {
    code = type.equals("String") ? T_STRING : type.equals("Integer") ? T_INTEGER
        : type.equals("Decimal") ? T_DECIMAL
        : (type.equals("Datetime") || type.equals("Date")) ? T_DATE : T_OTHER;
    pattern = regex == null ? null : Pattern.compile(regex);
    zoneId = ZoneId.of(zone);
    fixedOffset = zoneId.getRules().isFixedOffset() ? zoneId.getRules().getOffset(Instant.EPOCH) : null;
    guardPatterns = new Pattern[guards.length];
    formatters = new TimestampFormatter[formats.length];
    for (int i = 0; i < guards.length; i++) {
      guardPatterns[i] = guards[i] == null ? null : Pattern.compile(guards[i]);
    }
    prepared = true;
  }

  /**
   * The class of the UTF-8 text {@code b[off, off + len)}: the fast paths read the bytes, every
   * other text is decoded and goes by the definition ({@link #classify(String)}).
   */
  int classify(byte[] b, int off, int len) {
    if (len == 0) {
      return MISSING;
    }
    if (!prepared) {
      prepare();
    }
    switch (code) {
      case T_STRING:
        return VALID;
      case T_INTEGER:
        if (Utf8.plainInteger(b, off, len)) {
          number = Utf8.parseLong(b, off, len);
          return VALID;
        }
        break;
      case T_DECIMAL:
        if (Utf8.plainDecimal(b, off, len)) {
          number = Utf8.exactDecimal(b, off, len);
          if (Double.isNaN(number)) {
            number = Double.parseDouble(new String(b, off, len, StandardCharsets.ISO_8859_1));
          }
          return VALID;
        }
        break;
      case T_DATE:
        if (isoShape(b, off, len) && isoCast(b, off, len)) {
          finishDate();
          return VALID;
        }
        break;
      default:
        break;
    }
    return classify(new String(b, off, len, StandardCharsets.UTF_8));
  }

  /** VALID, MISMATCHED or MISSING; on VALID, {@link #number} or {@link #micros} hold the value. */
  int classify(String text) {
    if (text == null || text.isEmpty()) {
      return MISSING;
    }
    if (!prepared) {
      prepare();
    }
    switch (code) {
      case T_STRING:
        return VALID;
      case T_INTEGER:
        return integer(text) ? VALID : MISMATCHED;
      case T_DECIMAL:
        return decimal(text) ? VALID : MISMATCHED;
      case T_DATE:
        return datetime(text) ? VALID : MISMATCHED;
      default:
        if (type.equals("Credit Card")) {
          return pattern.matcher(text.replaceAll("[ -]", "")).find() ? VALID : MISMATCHED;
        }
        return pattern.matcher(text).find() ? VALID : MISMATCHED;
    }
  }

  // --- Integer: the pattern, then TRY_CAST(text AS BIGINT) -------------------------------------

  private boolean integer(String s) {
    if (!pattern.matcher(s).find()) {
      return false;
    }
    // the pattern's $ also matches before a final line terminator; Spark's cast trims ASCII
    // whitespace and control characters at both ends (bytes, so never U+0085, U+2028, U+2029)
    try {
      number = Long.parseLong(trimAsciiControls(s));
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String trimAsciiControls(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && asciiBlank(s.charAt(start))) {
      start++;
    }
    while (end > start && asciiBlank(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean asciiBlank(char c) {
    return c < 0x80 && (Character.isWhitespace(c) || Character.isISOControl(c));
  }



  // --- Decimal: the pattern, then TRY_CAST(text AS DOUBLE) (Java's parseDouble) ---------------

  private boolean decimal(String s) {
    if (!pattern.matcher(s).find()) {
      return false;
    }
    try {
      number = Double.parseDouble(s);
      return true;
    } catch (NumberFormatException e) {
      return false; // Spark's special literals (inf, nan) cannot pass the pattern
    }
  }

  // --- Datetime / Date: Spark's cast for ISO texts, else each format in turn ------------------

  private boolean datetime(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (isoShape(bytes, 0, bytes.length) && isoCast(bytes, 0, bytes.length)) {
      return finishDate();
    }
    for (int i = 0; i < formats.length; i++) {
      Pattern guard = guardPatterns[i];
      if (guard != null && !guard.matcher(s).find()) {
        continue;
      }
      if (parseWith(i, s)) {
        return finishDate();
      }
    }
    return false;
  }

  private boolean finishDate() {
    if (type.equals("Date")) {
      // to_date(ts) then cast to timestamp: midnight of the local date
      LocalDate day = Instant.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND))
          .atZone(zoneId).toLocalDate();
      micros = day.atStartOfDay(zoneId).toEpochSecond() * MICROS_PER_SECOND;
    }
    return true;
  }

  private boolean parseWith(int i, String s) {
    if (formatters[i] == null) {
      formatters[i] = TimestampFormatter.apply(
          formats[i], zoneId, LegacyDateFormats.SIMPLE_DATE_FORMAT(), true);
    }
    try {
      micros = formatters[i].parse(s);
      return true;
    } catch (RuntimeException e) {
      if (e.getClass().getSimpleName().equals("SparkUpgradeException")) {
        throw e; // try_to_timestamp does not hide it either
      }
      return false;
    } catch (Exception e) {
      return false; // java.text.ParseException
    }
  }

  /**
   * The shapes of {@code _CAST_EQUIVALENT} the fast path has: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss,
   * yyyy-MM-dd'T'HH:mm:ss (ASCII digits, first year digit 1-9).
   */
  private boolean isoShape(byte[] b, int o, int n) {
    if (n != 10 && n != 19) {
      return false;
    }
    byte first = b[o];
    if (first < '1' || first > '9' || !Utf8.digits(b, o + 1, o + 4) || b[o + 4] != '-'
        || !Utf8.digits(b, o + 5, o + 7) || b[o + 7] != '-' || !Utf8.digits(b, o + 8, o + 10)) {
      return false;
    }
    if (n == 10) {
      return allowsDate;
    }
    byte sep = b[o + 10];
    boolean allowed = (sep == ' ' && allowsSpace) || (sep == 'T' && allowsT);
    return allowed && Utf8.digits(b, o + 11, o + 13) && b[o + 13] == ':'
        && Utf8.digits(b, o + 14, o + 16) && b[o + 16] == ':' && Utf8.digits(b, o + 17, o + 19);
  }

  /** Spark's cast of an ISO-shaped text to timestamp: false (null) for an invalid date or time. */
  private boolean isoCast(byte[] b, int o, int n) {
    int y = Utf8.num(b, o, o + 4);
    int mo = Utf8.num(b, o + 5, o + 7);
    int d = Utf8.num(b, o + 8, o + 10);
    int h = 0;
    int mi = 0;
    int sec = 0;
    if (n == 19) {
      h = Utf8.num(b, o + 11, o + 13);
      mi = Utf8.num(b, o + 14, o + 16);
      sec = Utf8.num(b, o + 17, o + 19);
      if (h > 23 || mi > 59 || sec > 59) {
        return false;
      }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > lengthOfMonth(y, mo)) {
      return false;
    }
    long seconds;
    if (fixedOffset != null) {
      seconds = epochDay(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec
          - fixedOffset.getTotalSeconds();
    } else {
      seconds = LocalDateTime.of(y, mo, d, h, mi, sec).atZone(zoneId).toEpochSecond();
    }
    micros = seconds * MICROS_PER_SECOND;
    return true;
  }

  /** Days since 1970-01-01 of a valid proleptic Gregorian date (LocalDate.toEpochDay). */
  static long epochDay(long y, int m, int d) {
    long total = 365 * y;
    if (y >= 0) {
      total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    } else {
      total -= y / -4 - y / -100 + y / -400;
    }
    total += (367 * m - 362) / 12;
    total += d - 1;
    if (m > 2) {
      total--;
      if (!(((y % 4 == 0) && (y % 100 != 0)) || (y % 400 == 0))) {
        total--;
      }
    }
    return total - 719528;
  }

  private static int lengthOfMonth(int y, int m) {
    switch (m) {
      case 2:
        return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28;
      case 4:
      case 6:
      case 9:
      case 11:
        return 30;
      default:
        return 31;
    }
  }



  @Override
  public String toString() {
    return String.format(Locale.ROOT, "ColumnRule(%s)", type);
  }
}
