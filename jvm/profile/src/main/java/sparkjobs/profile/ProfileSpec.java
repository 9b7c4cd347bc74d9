package sparkjobs.profile;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** What the Python side asks for (spark_jobs/profile/stats.py builds this JSON). */
final class ProfileSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  final ColumnRule[] columns;
  final int hllLgK;
  /** rows of the uniform sample (see {@link Reservoir}) */
  final int sampleRows;
  final long seed;
  /** measurement only: the aggregate reads nothing (the cost of Spark's own machinery) */
  final boolean probe;

  private ProfileSpec(JsonNode spec) {
    hllLgK = spec.get("hllLgK").asInt();
    sampleRows = spec.get("sampleRows").asInt();
    seed = spec.get("seed").asLong();
    probe = spec.has("probe") && spec.get("probe").asBoolean();
    String zone = spec.get("timeZone").asText();
    List<ColumnRule> rules = new ArrayList<>();
    for (JsonNode c : spec.get("columns")) {
      rules.add(new ColumnRule(
          kind(c.get("kind").asText()),
          c.get("type").asText(),
          c.get("regex").isNull() ? null : c.get("regex").asText(),
          texts(c.get("formats")),
          texts(c.get("guards")),
          texts(c.get("castFormats")),
          zone));
    }
    columns = rules.toArray(new ColumnRule[0]);
  }

  static ProfileSpec parse(String json) {
    try {
      return new ProfileSpec(new ObjectMapper().readTree(json));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("bad profile spec: " + e.getMessage(), e);
    }
  }

  private static int kind(String name) {
    switch (name) {
      case "number":
        return ColumnRule.NUMBER;
      case "datetime":
        return ColumnRule.DATETIME;
      case "string":
        return ColumnRule.STRING;
      default:
        throw new IllegalArgumentException("unknown column kind " + name);
    }
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.isNull() ? null : n.asText());
    }
    return out;
  }
}
