package org.memlean.dist;

/**
 * A collective could not complete: a rank failed, stopped answering past the timeout, or called a
 * different operation than the others. Every rank of the group throws one, with the same message.
 */
public final class CollectiveException extends RuntimeException {
    private final int failedRank;

    public CollectiveException(String message, int failedRank, Throwable cause) {
        super(message, cause);
        this.failedRank = failedRank;
    }

    /** The rank at fault (the one that failed or did not arrive), or −1 when no single rank is. */
    public int failedRank() {
        return failedRank;
    }
}
