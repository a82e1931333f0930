package org.memlean.dist;

/**
 * A rank failed while the group ran a task: one error for the whole group, naming the rank at fault
 * and carrying its own exception as the cause. The others stopped at a collective (their
 * {@link CollectiveException}s are suppressed here).
 */
public final class RankFailedException extends RuntimeException {
    private final int rank;

    private RankFailedException(String message, int rank, Throwable cause) {
        super(message, cause);
        this.rank = rank;
    }

    /** The rank at fault, or −1 when the collective could not say. */
    public int rank() {
        return rank;
    }

    /** The group's error from each rank's (null: succeeded): the first rank's own error wins over collective ones. */
    static RankFailedException of(String what, Throwable[] errors) {
        int at = -1;
        for (int r = 0; r < errors.length; r++) {
            if (errors[r] != null && !(errors[r] instanceof CollectiveException)) {
                at = r;
                break;
            }
        }
        Throwable cause;
        int faulty;
        if (at >= 0) {
            cause = errors[at];
            faulty = at;
        } else {
            int first = 0;
            while (errors[first] == null) first++;
            cause = errors[first];
            faulty = ((CollectiveException) cause).failedRank();
            if (cause.getCause() != null && faulty >= 0) cause = cause.getCause();
        }
        String m = cause.getMessage();
        String text = cause instanceof CollectiveException
                ? "'" + what + "' failed: " + m
                : "rank " + faulty + " failed in '" + what + "': " + cause.getClass().getSimpleName()
                        + (m == null ? "" : ": " + m);
        RankFailedException e = new RankFailedException(text + " (every rank of the group stopped)", faulty, cause);
        for (Throwable t : errors) if (t != null && t != cause) e.addSuppressed(t);
        return e;
    }
}
