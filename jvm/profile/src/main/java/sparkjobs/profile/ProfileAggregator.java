package sparkjobs.profile;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.functions;

/**
 * The visual profile's one aggregate: all columns of a row in one update (Spark's public
 * {@link Aggregator} API); the result is a JSON document that spark_jobs/profile reads.
 *
 * <p>Input: one binary column, the row's profiled values packed as {@link Packed} describes
 * (each value as text: what the type rules look at). Works as a plain aggregation and as an
 * observed metric of a write.
 *
 * <p>Output: the final buffer, serialized; {@link #report} turns it into the JSON document once.
 * Why not the JSON as the output: Spark evaluates an observed metric's value three times at
 * every task's end (DAGScheduler.updateAccumulators: the task's update and the merged value, for
 * the stage's and the task's accumulables), and the JSON classifies every sampled value again
 * (20,000 rows); measured with JFR at 1M rows, those evaluations cost as much as the aggregate's
 * whole per-row work.
 */
public final class ProfileAggregator extends Aggregator<byte[], ProfileBuffer, byte[]> {
  private static final long serialVersionUID = 1L;

  private final ProfileSpec spec;

  public ProfileAggregator(String specJson) {
    this.spec = ProfileSpec.parse(specJson);
  }

  /** Registers the aggregate as the temporary function {@code name} of {@code spark}. */
  public static void register(SparkSession spark, String name, String specJson) {
    ProfileAggregator aggregator = new ProfileAggregator(specJson);
    spark.udf().register(name, functions.udaf(aggregator, Encoders.BINARY()));
  }

  @Override
  public ProfileBuffer zero() {
    return new ProfileBuffer(spec);
  }

  @Override
  public ProfileBuffer reduce(ProfileBuffer buffer, byte[] row) {
    buffer.add(spec, row);
    return buffer;
  }

  @Override
  public ProfileBuffer merge(ProfileBuffer a, ProfileBuffer b) {
    return a.merge(b);
  }

  @Override
  public byte[] finish(ProfileBuffer buffer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(buffer);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /** The JSON document of a {@link #finish}ed buffer, for the columns of {@code specJson}. */
  public static String report(String specJson, byte[] finished) {
    ProfileSpec spec = ProfileSpec.parse(specJson);
    ProfileBuffer buffer;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(finished))) {
      buffer = (ProfileBuffer) in.readObject();
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("not a finished profile buffer", e);
    }
    return json(spec, buffer);
  }

  private static String json(ProfileSpec spec, ProfileBuffer buffer) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rows", buffer.rows);
    out.put("sampleRows", buffer.sample.size);
    out.put("unreadableRows", buffer.unreadable);
    String[][] sample = new String[buffer.sample.size][];
    for (int r = 0; r < sample.length; r++) {
      sample[r] = Packed.texts(buffer.sample.rows[r], buffer.columns.length);
    }
    List<Object> columns = new ArrayList<>();
    for (int i = 0; i < buffer.columns.length; i++) {
      Map<String, Object> column = buffer.columns[i].result(spec.columns[i].kind);
      column.put("sample", sampleValues(spec.columns[i], sample, i));
      columns.add(column);
    }
    out.put("columns", columns);
    try {
      return new ObjectMapper().writeValueAsString(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The column's values in the sampled rows, classified again: valid finite numbers, valid
   * dates (epoch microseconds), or present texts, by the column's kind.
   */
  private static List<Object> sampleValues(ColumnRule rule, String[][] sample, int column) {
    List<Object> out = new ArrayList<>();
    for (String[] row : sample) {
      String text = row[column];
      int cls = rule.classify(text);
      if (cls == ColumnRule.MISSING) {
        continue;
      }
      if (rule.kind == ColumnRule.STRING) {
        out.add(text);
      } else if (cls == ColumnRule.VALID && rule.kind == ColumnRule.DATETIME) {
        out.add(rule.micros);
      } else if (cls == ColumnRule.VALID && Double.isFinite(rule.number)) {
        out.add(rule.number);
      }
    }
    return out;
  }

  @Override
  public Encoder<ProfileBuffer> bufferEncoder() {
    return Encoders.javaSerialization(ProfileBuffer.class);
  }

  @Override
  public Encoder<byte[]> outputEncoder() {
    return Encoders.BINARY();
  }
}
