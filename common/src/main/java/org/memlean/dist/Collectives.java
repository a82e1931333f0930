package org.memlean.dist;

import java.time.Duration;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/** Which collective a group of ranks uses on this machine. */
public final class Collectives {
    private Collectives() {}

    /**
     * NCCL when ND4J runs on CUDA and sees at least {@code ranks} GPUs (rank r on GPU r); otherwise the
     * thread collective, whose ranks share this process's device.
     */
    public static List<Collective> forRanks(int ranks, Duration timeout) {
        boolean gpus = !Nd4j.getEnvironment().isCPU() && Nd4j.getAffinityManager().getNumberOfDevices() >= ranks;
        return gpus && ranks > 1 ? NcclCollective.group(ranks, timeout) : ThreadCollective.group(ranks, timeout);
    }

    /** "NCCL" or "threads": what {@link #forRanks} would use, for reports. */
    public static String engine(int ranks) {
        boolean gpus = !Nd4j.getEnvironment().isCPU() && Nd4j.getAffinityManager().getNumberOfDevices() >= ranks;
        return gpus && ranks > 1 ? "NCCL" : "threads";
    }
}
