package sparkjobs.profile;

import java.io.Serializable;


/**
 * The aggregation buffer: every column's statistics over every row, and a uniform sample of the
 * rows (texts) for what needs the values themselves: histograms, quartiles, top values and
 * patterns.
 */
public final class ProfileBuffer implements Serializable {
  private static final long serialVersionUID = 1L;

  final ColumnStats[] columns;
  final Reservoir sample;
  long rows;
  /** rows whose texts could not be told apart (a text held the byte 0xFF: not UTF-8) */
  long unreadable;
  private transient int[] ends;

  ProfileBuffer(ProfileSpec spec) {
    columns = new ColumnStats[spec.columns.length];
    for (int i = 0; i < columns.length; i++) {
      columns[i] = new ColumnStats(spec.hllLgK);
    }
    sample = new Reservoir(spec.sampleRows, spec.seed);
  }

  /** One row, packed as {@link Packed} describes: every column's value as UTF-8 bytes. */
  void add(ProfileSpec spec, byte[] row) {
    rows++;
    ColumnRule[] rules = spec.columns;
    if (ends == null) {
      ends = new int[rules.length];
    }
    if (!Packed.split(row, ends)) {
      unreadable++;
      return;
    }
    int start = 0;
    for (int i = 0; i < rules.length; i++) {
      int len = ends[i] - start;
      columns[i].add(rules[i], row, start, len, rules[i].classify(row, start, len));
      start = ends[i] + 1;
    }
    if (sample.wants()) {
      sample.keep(row);
    }
  }

  ProfileBuffer merge(ProfileBuffer other) {
    rows += other.rows;
    unreadable += other.unreadable;
    for (int i = 0; i < columns.length; i++) {
      columns[i].merge(other.columns[i]);
    }
    sample.merge(other.sample);
    return this;
  }
}
