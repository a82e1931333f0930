package org.memlean.lab;

import java.util.ArrayList;
import java.util.List;
import org.memlean.memory.Bytes;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.Listeners;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.tensor.Autocast;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;

/**
 * The framework's global state on the calling thread — grad mode, autocast, the device's limit and
 * budget, open meters and scopes, listeners, the random stream — for code that runs tasks one after
 * another and must start each from the same state: the grader. {@link #dirty} says what a task left
 * changed; {@link #reset} puts it back.
 */
public final class FrameworkState {
    private FrameworkState() {}

    /** What differs from a fresh start with the device's limit at {@code limit} bytes, one phrase each. */
    public static List<String> dirty(long limit) {
        List<String> out = new ArrayList<>();
        if (!GradMode.isEnabled()) out.add("grad mode left off (a GradMode.noGrad() guard not closed)");
        if (Autocast.active() != null) out.add("autocast to " + Autocast.active() + " left on");
        if (DeviceBudget.active() != null) out.add("a DeviceBudget left open");
        if (Device.limitBytes() != limit) {
            out.add("the device's limit changed to " + (Device.limitBytes() == 0 ? "none" : Bytes.format(Device.limitBytes())));
        }
        if (MemoryMeter.openOnThisThread() > 0) out.add(MemoryMeter.openOnThisThread() + " memory meter(s) left open");
        if (Scope.openOnThisThread() > 0) out.add(Scope.openOnThisThread() + " scope(s) left open");
        if (!Listeners.registered().isEmpty()) out.add(Listeners.registered().size() + " listener(s) left registered");
        return out;
    }

    /** Grad mode on, autocast off, no budget, the limit at {@code limit}, no meter, scope or listener; the stream at {@code seed}. */
    public static void reset(long limit, long seed) {
        GradMode.reset();
        Autocast.reset();
        Scope.closeAllOnThisThread();
        MemoryMeter.closeAllOnThisThread();
        Listeners.clear();
        DeviceBudget.closeAll(limit);
        Rng.seed(seed);
    }
}
