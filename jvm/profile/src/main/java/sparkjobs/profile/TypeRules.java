package sparkjobs.profile;

import java.nio.charset.StandardCharsets;

/** The profile's classifier called on its own: the type-rule equivalence test uses it. */
public final class TypeRules {
  private TypeRules() {}

  /**
   * For each text (as the aggregate reads it: UTF-8 bytes, null as empty): its class (0 valid, 1 mismatched, 2 missing) and, when valid, the parsed
   * value as text (a number, or epoch microseconds), by the first column of {@code specJson}.
   */
  public static String[] classify(String specJson, String[] texts) {
    ColumnRule rule = ProfileSpec.parse(specJson).columns[0];
    String[] out = new String[texts.length];
    for (int i = 0; i < texts.length; i++) {
      byte[] b = texts[i] == null ? new byte[0] : texts[i].getBytes(StandardCharsets.UTF_8);
      int cls = rule.classify(b, 0, b.length);
      String value = "";
      if (cls == ColumnRule.VALID && rule.kind == ColumnRule.NUMBER) {
        value = Double.toString(rule.number);
      } else if (cls == ColumnRule.VALID && rule.kind == ColumnRule.DATETIME) {
        value = Long.toString(rule.micros);
      }
      out[i] = cls + ":" + value;
    }
    return out;
  }
}
