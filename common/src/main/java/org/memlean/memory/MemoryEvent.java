package org.memlean.memory;

/**
 * One entry of a meter's timeline: what happened, and the ledger and backend counter right after.
 *
 * @param sequence order within the meter, from 0
 * @param nanos time since the meter started
 * @param kind ALLOCATE, FREE, MOVE (category change), MARK (a phase label) or OUT_OF_MEMORY
 * @param category the category the event concerns (for MOVE: the new one); null for MARK
 * @param bytes the bytes the event concerns
 * @param label the buffer's label or the phase name
 * @param liveByCategory the ledger's live bytes per category, indexed by {@code Category.ordinal()}
 * @param ledgerLive the ledger's live bytes in all
 * @param backendLive the backend counter minus its value when the meter started
 */
public record MemoryEvent(long sequence, long nanos, Kind kind, Category category, long bytes, String label,
                          long[] liveByCategory, long ledgerLive, long backendLive) {
    /** What a timeline entry records. */
    public enum Kind { ALLOCATE, FREE, MOVE, MARK, OUT_OF_MEMORY }
}
