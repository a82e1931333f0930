package org.memlean.lab;

import java.util.List;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryEvent;

/**
 * What one arm of an experiment measured.
 *
 * @param name "baseline" or the technique's name
 * @param peakBytes the backend counter's highest reading above the start
 * @param peakByCategory the ledger by category at that peak (sums to peakBytes)
 * @param stepMillis median wall time of one training step
 * @param finalLoss the loss of the last step
 * @param timeline every allocation, release and phase mark, for charts
 */
public record Measurement(String name, long peakBytes, Map<Category, Long> peakByCategory, double stepMillis,
                          double finalLoss, List<MemoryEvent> timeline) {}
