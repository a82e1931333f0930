package org.memlean.memory;

import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The course's out-of-memory error, worded like PyTorch's "CUDA out of memory. Tried to allocate
 * …": what was asked for, what is in use by category, and the budget. The allocation did not
 * happen; the meter, the framework and the backend keep working.
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private final long requestedBytes;
    private final long budgetBytes;
    private final long inUseBytes;
    private final String device;
    private final Map<Category, Long> inUseByCategory;

    DeviceOutOfMemoryException(long requestedBytes, DataType dataType, long[] shape, Category category, String label,
                               String device, long budgetBytes, long inUseBytes, Map<Category, Long> inUseByCategory,
                               Throwable cause) {
        super(message(requestedBytes, dataType, shape, category, label, device, budgetBytes, inUseBytes,
                inUseByCategory), cause);
        this.requestedBytes = requestedBytes;
        this.budgetBytes = budgetBytes;
        this.inUseBytes = inUseBytes;
        this.device = device;
        this.inUseByCategory = Map.copyOf(inUseByCategory);
    }

    private static String message(long requested, DataType dataType, long[] shape, Category category, String label,
                                  String device, long budget, long inUse, Map<Category, Long> byCategory) {
        StringBuilder sb = new StringBuilder(device == null ? "Device out of memory. "
                : "Device of " + device + " out of memory. ");
        if (dataType == null) {
            sb.append("An op needed native scratch memory of a size it does not report (").append(category);
        } else {
            sb.append("Tried to allocate ").append(Bytes.format(requested)).append(" (").append(dataType).append(' ')
                    .append(Arrays.toString(shape)).append(", ").append(category);
        }
        if (label != null) sb.append(", for '").append(label).append('\'');
        sb.append("). ").append(device == null ? "Device budget " : "Budget of " + device + " ")
                .append(Bytes.format(budget)).append("; ").append(Bytes.format(inUse)).append(" already in use (");
        boolean first = true;
        for (Map.Entry<Category, Long> e : byCategory.entrySet()) {
            if (e.getValue() == 0) continue;
            sb.append(first ? "" : ", ").append(e.getKey()).append(' ').append(Bytes.format(e.getValue()));
            first = false;
        }
        if (first) sb.append("nothing counted by the ledger");
        sb.append("); ").append(Bytes.format(Math.max(0, budget - inUse))).append(" free. ")
                .append("Try a smaller batch, accumulation, checkpointing or lower precision.");
        return sb.toString();
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public long inUseBytes() {
        return inUseBytes;
    }

    /** The simulated device whose budget was passed ("'rank 2'"), or null for the process-wide budget. */
    public String device() {
        return device;
    }

    public Map<Category, Long> inUseByCategory() {
        return inUseByCategory;
    }
}
