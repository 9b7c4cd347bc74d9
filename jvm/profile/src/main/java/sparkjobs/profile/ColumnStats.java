package sparkjobs.profile;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

/**
 * One column's statistics over every row: the class counts, moments and range of the valid
 * numbers, range of the valid dates, text lengths, and the distinct count (an HLL sketch).
 */
final class ColumnStats implements Serializable {
  private static final long serialVersionUID = 1L;
  /** recently seen value hashes (direct-mapped): a repeated value skips the HLL update */
  private static final int RECENT = 256;

  long valid;
  long mismatched;
  long missing;
  // numbers (valid, finite): Welford's running mean and sum of squared deviations
  long numbers;
  double mean;
  double m2;
  double sum;
  double min;
  double max;
  // dates (valid), epoch microseconds
  long timestamps;
  long tmin = Long.MAX_VALUE;
  long tmax = Long.MIN_VALUE;
  // strings (present): lengths in characters (code points)
  long lmin = Long.MAX_VALUE;
  long lmax = Long.MIN_VALUE;

  private final int lgK;
  private transient HllSketch distinct;
  private transient long[] recent;

  ColumnStats(int lgK) {
    this.lgK = lgK;
    distinct = new HllSketch(lgK, TgtHllType.HLL_8);
    recent = new long[RECENT];
  }

  /** One value (UTF-8 bytes), classified by {@code rule} (whose parsed value it reads). */
  void add(ColumnRule rule, byte[] b, int off, int len, int cls) {
    if (cls == ColumnRule.MISSING) {
      missing++;
      return;
    }
    if (cls == ColumnRule.VALID) {
      valid++;
      if (rule.kind == ColumnRule.NUMBER) {
        addNumber(rule.number);
      } else if (rule.kind == ColumnRule.DATETIME) {
        addTime(rule.micros);
      }
    } else {
      mismatched++;
    }
    if (rule.kind == ColumnRule.STRING) {
      addLength(Utf8.codePoints(b, off, len));
    }
    addDistinct(Utf8.hash(b, off, len));
  }

  private void addNumber(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return;
    }
    numbers++;
    double delta = x - mean;
    mean += delta / numbers;
    m2 += delta * (x - mean);
    sum += x;
    if (numbers == 1) {
      min = x;
      max = x;
    } else if (x < min) {
      min = x;
    } else if (x > max) {
      max = x;
    }
  }

  private void addTime(long t) {
    timestamps++;
    if (t < tmin) {
      tmin = t;
    }
    if (t > tmax) {
      tmax = t;
    }
  }

  private void addLength(long length) {
    if (length < lmin) {
      lmin = length;
    }
    if (length > lmax) {
      lmax = length;
    }
  }

  private void addDistinct(long h) {
    int slot = (int) (h ^ (h >>> 29)) & (RECENT - 1);
    if (recent[slot] != h) {
      recent[slot] = h;
      distinct.update(h);
    }
  }

  void merge(ColumnStats o) {
    valid += o.valid;
    mismatched += o.mismatched;
    missing += o.missing;
    mergeNumbers(o);
    timestamps += o.timestamps;
    tmin = Math.min(tmin, o.tmin);
    tmax = Math.max(tmax, o.tmax);
    lmin = Math.min(lmin, o.lmin);
    lmax = Math.max(lmax, o.lmax);
    Union union = new Union(lgK);
    union.update(distinct);
    union.update(o.distinct);
    distinct = union.getResult(TgtHllType.HLL_8);
  }

  /** Chan et al.'s pairwise update of count, mean and squared deviations. */
  private void mergeNumbers(ColumnStats o) {
    if (o.numbers == 0) {
      return;
    }
    if (numbers == 0) {
      min = o.min;
      max = o.max;
    } else {
      min = Math.min(min, o.min);
      max = Math.max(max, o.max);
    }
    long n = numbers + o.numbers;
    double delta = o.mean - mean;
    m2 += o.m2 + delta * delta * ((double) numbers * o.numbers / n);
    mean += delta * o.numbers / n;
    numbers = n;
    sum += o.sum;
  }

  Map<String, Object> result(int kind) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("valid", valid);
    out.put("mismatched", mismatched);
    out.put("missing", missing);
    out.put("distinct", Math.round(distinct.getEstimate()));
    if (kind == ColumnRule.NUMBER) {
      out.put("numbers", numbers);
      out.put("min", numbers > 0 ? min : null);
      out.put("max", numbers > 0 ? max : null);
      out.put("mean", numbers > 0 ? mean : null);
      out.put("stddev", numbers > 1 ? Math.sqrt(m2 / (numbers - 1)) : null);
      out.put("sum", numbers > 0 ? sum : null);
    } else if (kind == ColumnRule.DATETIME) {
      out.put("timestamps", timestamps);
      out.put("tmin", timestamps > 0 ? tmin : null);
      out.put("tmax", timestamps > 0 ? tmax : null);
    } else {
      out.put("lmin", valid + mismatched > 0 ? lmin : null);
      out.put("lmax", valid + mismatched > 0 ? lmax : null);
    }
    return out;
  }

  // --- Java serialization (the buffer travels from the executors to the driver) ------------------

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    byte[] bytes = distinct.toCompactByteArray();
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    distinct = HllSketch.heapify(bytes);
    recent = new long[RECENT];
  }
}
