package org.memlean.nn;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.memlean.tensor.Tensor;

/**
 * Saves and loads a module's parameters. The format is ours and small: a magic line, the count,
 * then per parameter its name, dtype, shape and raw values. Loading reads and checks the whole file
 * first — names, dtypes, shapes, length — and only then writes into the model, so a bad file
 * leaves the model as it was.
 */
public final class ParameterFiles {
    private static final String MAGIC = "memlean-parameters-v1";

    private ParameterFiles() {}

    public static void save(Module module, Path path) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(path)))) {
            Map<String, Tensor> params = module.namedState();
            out.writeUTF(MAGIC);
            out.writeInt(params.size());
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor t = e.getValue();
                out.writeUTF(e.getKey());
                out.writeUTF(t.dtype().name());
                out.writeInt(t.rank());
                for (long d : t.shape()) out.writeLong(d);
                double[] values = t.toDoubleArray();
                out.writeInt(values.length);
                for (double v : values) out.writeDouble(v);
            }
        }
    }

    public static void load(Module module, Path path) throws IOException {
        Map<String, Tensor> params = module.namedState();
        Map<String, double[]> read = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path)))) {
            String magic = in.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new IOException(path + " is not a memlean parameter file (it starts with '" + magic + "')");
            }
            int count = in.readInt();
            if (count != params.size()) {
                throw new IOException(path + " holds " + count + " parameters; the model has " + params.size());
            }
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                Tensor target = params.get(name);
                if (target == null) throw new IOException(path + ": parameter '" + name + "' is not in the model");
                String dtype = in.readUTF();
                if (!target.dtype().name().equals(dtype)) {
                    throw new IOException(path + ": parameter '" + name + "' is " + dtype + " in the file, "
                            + target.dtype() + " in the model");
                }
                int rank = in.readInt();
                if (rank < 0 || rank > 8) throw new IOException(path + ": parameter '" + name + "' has rank " + rank);
                long[] shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = in.readLong();
                if (!Arrays.equals(shape, target.shape())) {
                    throw new IOException(path + ": parameter '" + name + "' has shape " + Arrays.toString(shape)
                            + " in the file, " + Arrays.toString(target.shape()) + " in the model");
                }
                int length = in.readInt();
                if (length != target.length()) {
                    throw new IOException(path + ": parameter '" + name + "' has " + length + " values, needs "
                            + target.length());
                }
                double[] values = new double[length];
                for (int k = 0; k < length; k++) values[k] = in.readDouble();
                read.put(name, values);
            }
            if (in.read() != -1) throw new IOException(path + " has bytes after its last parameter");
        } catch (EOFException e) {
            throw new IOException(path + " is truncated: it ended after " + read.size() + " complete parameters", e);
        }
        // everything checked: now write
        for (Map.Entry<String, double[]> e : read.entrySet()) {
            Tensor t = params.get(e.getKey());
            org.memlean.memory.Memory.fill(t.array(), e.getValue());   // doubles hold every dtype exactly
            t.storage().bumpVersion();
        }
    }
}
