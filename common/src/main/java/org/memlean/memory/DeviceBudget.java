package org.memlean.memory;

/**
 * A "device with N bytes": the backend itself refuses any allocation past the budget, and the
 * framework turns the refusal into a {@link DeviceOutOfMemoryException}. The budget covers
 * everything the calling thread's {@link MemoryMeter} holds (it counts from the backend's reading
 * when that meter started; with no meter bound, from the reading when the budget opens), so the
 * model's parameters created before the budget count against it, as they would on a real GPU.
 *
 * <pre>{@code
 * try (DeviceBudget gpu = DeviceBudget.of(64 << 20)) {   // a 64 MiB "GPU"
 *     train(model);                                      // may throw DeviceOutOfMemoryException
 * }
 * }</pre>
 */
public final class DeviceBudget implements AutoCloseable {
    private static volatile DeviceBudget active;

    private final long budgetBytes;
    private final long baseBytes;
    private final long previousLimit;
    private final DeviceBudget previous;
    private boolean closed;

    private DeviceBudget(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("a device budget must be positive, got " + budgetBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
        MemoryMeter meter = MemoryMeter.current();
        this.baseBytes = meter == MemoryMeter.global() ? Device.allocatedBytes() : meter.backendStartBytes();
        if (Device.allocatedBytes() - baseBytes > budgetBytes) {
            throw new IllegalArgumentException("a device budget of " + Bytes.format(budgetBytes) + " is smaller than the "
                    + Bytes.format(Device.allocatedBytes() - baseBytes) + " already in use under meter '"
                    + meter.name() + "'");
        }
        this.previousLimit = Device.limitBytes();
        this.previous = active;
        Device.setLimitBytes(baseBytes + budgetBytes);
        active = this;
    }

    /** Opens a budget of {@code bytes} above what the device holds now. */
    public static DeviceBudget of(long bytes) {
        return new DeviceBudget(bytes);
    }

    /** Opens a budget of {@code mebibytes} MiB. */
    public static DeviceBudget ofMebibytes(double mebibytes) {
        return new DeviceBudget((long) (mebibytes * 1024 * 1024));
    }

    /** The budget in force on this process, or null. */
    public static DeviceBudget active() {
        return active;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** Bytes in use under this budget (backend reading minus the reading when it opened). */
    public long inUseBytes() {
        return Device.allocatedBytes() - baseBytes;
    }

    /** Whether {@code bytes} more would pass the budget. */
    boolean wouldExceed(long bytes) {
        return inUseBytes() + bytes > budgetBytes;
    }

    /** Closes every budget still open and sets the device's limit to {@code limit} (the grader, between tasks). */
    public static void closeAll(long limit) {
        active = null;
        Device.setLimitBytes(limit);
    }

    /** Removes the limit (or restores the enclosing budget's). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Device.setLimitBytes(previousLimit);
        active = previous;
    }
}
