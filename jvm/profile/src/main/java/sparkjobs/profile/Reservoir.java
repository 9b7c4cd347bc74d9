package sparkjobs.profile;

import java.io.Serializable;

/**
 * A uniform random sample of at most {@code capacity} rows of everything this buffer saw
 * (Vitter's reservoir, Algorithm L: the rows to keep are drawn as skips, so a row that is not
 * kept costs one comparison). Two reservoirs merge into a uniform sample of the union.
 */
final class Reservoir implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int capacity;
  byte[][] rows;
  int size;
  /** rows offered so far */
  long seen;
  private long next;
  private double w;
  private long random;

  Reservoir(int capacity, long seed) {
    this.capacity = capacity;
    this.rows = new byte[Math.min(capacity, 1024)][];
    this.random = seed | 1L;
  }

  /** Whether the next row is kept; if so, {@link #keep} must follow. */
  boolean wants() {
    seen++;
    if (seen <= capacity) {
      return true;
    }
    if (seen < next) {
      return false;
    }
    return true;
  }

  void keep(byte[] row) {
    if (seen <= capacity) {
      if (size == rows.length) {
        rows = java.util.Arrays.copyOf(rows, Math.min(capacity, rows.length * 2));
      }
      rows[size++] = row;
      if (seen == capacity) {
        w = Math.exp(Math.log(uniform()) / capacity);
        skip();
      }
      return;
    }
    rows[(int) (uniform() * capacity)] = row;
    w *= Math.exp(Math.log(uniform()) / capacity);
    skip();
  }

  private void skip() {
    next = seen + (long) Math.floor(Math.log(uniform()) / Math.log1p(-w)) + 1;
  }

  /** The union's sample: hypergeometric share of each side, then a random subset of each. */
  void merge(Reservoir other) {
    if (other.seen == 0) {
      return;
    }
    if (seen == 0) {
      rows = other.rows;
      size = other.size;
      seen = other.seen;
      next = other.next;
      w = other.w;
      return;
    }
    long total = seen + other.seen;
    int k = (int) Math.min(capacity, (long) size + other.size);
    if (seen + other.seen <= capacity) {
      k = size + other.size;
    }
    long mine = seen;
    long theirs = other.seen;
    int fromMine = 0;
    for (int i = 0; i < k; i++) {
      if (uniform() * (mine + theirs) < mine) {
        fromMine++;
        mine--;
      } else {
        theirs--;
      }
    }
    fromMine = Math.min(fromMine, size);
    int fromTheirs = Math.min(k - fromMine, other.size);
    byte[][] out = new byte[fromMine + fromTheirs][];
    shuffleTake(rows, size, fromMine, out, 0);
    other.shuffleTake(other.rows, other.size, fromTheirs, out, fromMine);
    rows = out;
    size = out.length;
    seen = total;
    next = Long.MAX_VALUE; // a merged sample takes no further rows
  }

  private void shuffleTake(byte[][] from, int n, int take, byte[][] out, int at) {
    for (int i = 0; i < take; i++) {
      int j = i + (int) (uniform() * (n - i));
      byte[] t = from[i];
      from[i] = from[j];
      from[j] = t;
      out[at + i] = from[i];
    }
  }

  /** xorshift64*: a uniform double in (0, 1). */
  private double uniform() {
    random ^= random >>> 12;
    random ^= random << 25;
    random ^= random >>> 27;
    long bits = (random * 0x2545F4914F6CDD1DL) >>> 11;
    return (bits + 0.5) / (double) (1L << 53);
  }
}
