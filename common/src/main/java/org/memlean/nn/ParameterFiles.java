package org.memlean.nn;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.memlean.memory.Memory;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Saves and loads a module's parameters and buffers. The format is ours and small: 8 magic bytes
 * ({@code MEMLEANP}), a version, the count, then per tensor its name, dtype, shape and values (4
 * bytes each — float32 holds HALF and BFLOAT16 values exactly — or 8 for DOUBLE).
 *
 * <p>Loading reads and checks the whole file first — magic and version, names (each once, each in
 * the model), dtypes, shapes, length — and only then writes into the model, so a bad file leaves
 * the model as it was. A file may hold all of a model's state ({@link #load}) or part of it
 * ({@link #loadPart}: the trainable parameters a fine-tuning added, say).
 */
public final class ParameterFiles {
    private static final byte[] MAGIC = "MEMLEANP".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 2;

    private ParameterFiles() {}

    /** Saves every parameter and buffer. */
    public static void save(Layer module, Path path) throws IOException {
        save(module, path, name -> true);
    }

    /** Saves the parameters and buffers whose names {@code which} accepts. */
    public static void save(Layer module, Path path, Predicate<String> which) throws IOException {
        Map<String, Tensor> chosen = new LinkedHashMap<>();
        module.namedState().forEach((name, t) -> {
            if (which.test(name)) chosen.put(name, t);
        });
        if (chosen.isEmpty()) throw new IllegalArgumentException("nothing to save to " + path + ": no tensor was chosen");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(path)))) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(chosen.size());
            for (Map.Entry<String, Tensor> e : chosen.entrySet()) {
                Tensor t = e.getValue();
                out.writeUTF(e.getKey());
                out.writeUTF(t.dtype().name());
                out.writeInt(t.rank());
                for (long d : t.shape()) out.writeLong(d);
                double[] values = t.toDoubleArray();
                out.writeInt(values.length);
                if (t.dtype() == DataType.DOUBLE) {
                    for (double v : values) out.writeDouble(v);
                } else {
                    for (double v : values) out.writeFloat((float) v);
                }
            }
        }
    }

    /** Loads a file holding exactly this model's parameters and buffers. */
    public static void load(Layer module, Path path) throws IOException {
        load(module, path, false);
    }

    /** Loads a file holding some of this model's parameters and buffers (each of them in the model). */
    public static void loadPart(Layer module, Path path) throws IOException {
        load(module, path, true, false);
    }

    /**
     * Loads a file holding exactly this model's tensors, converting each value to the model's dtype
     * (a float32 checkpoint into a bf16 model, say): names and shapes must match, dtypes need not.
     */
    public static void loadConverting(Layer module, Path path) throws IOException {
        load(module, path, false, true);
    }

    private static void load(Layer module, Path path, boolean part) throws IOException {
        load(module, path, part, false);
    }

    private static void load(Layer module, Path path, boolean part, boolean convert) throws IOException {
        if (Files.isDirectory(path)) throw new IOException(path + " is a directory, not a parameter file");
        if (!Files.isReadable(path)) throw new IOException(path + " does not exist or cannot be read");
        Map<String, Tensor> model = module.namedState();
        Map<String, double[]> read = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path)))) {
            byte[] magic = new byte[MAGIC.length];
            if (in.read(magic) != MAGIC.length || !Arrays.equals(magic, MAGIC)) {
                throw new IOException(path + " is not a memlean parameter file (it does not start with MEMLEANP)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(path + " is a memlean parameter file of version " + version + "; this course reads "
                        + "version " + VERSION);
            }
            int count = in.readInt();
            if (count < 1 || count > model.size()) {
                throw new IOException(path + " holds " + count + " tensors; the model has " + model.size());
            }
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                Tensor target = model.get(name);
                if (target == null) throw new IOException(path + ": tensor '" + name + "' is not in the model");
                if (read.containsKey(name)) throw new IOException(path + ": tensor '" + name + "' is in the file twice");
                String dtype = in.readUTF();
                boolean fileDoubles;
                try {
                    fileDoubles = DataType.valueOf(dtype) == DataType.DOUBLE;
                } catch (IllegalArgumentException e) {
                    throw new IOException(path + ": tensor '" + name + "' has an unknown dtype '" + dtype + "'");
                }
                if (!convert && !target.dtype().name().equals(dtype)) {
                    throw new IOException(path + ": tensor '" + name + "' is " + dtype + " in the file, "
                            + target.dtype() + " in the model");
                }
                int rank = in.readInt();
                if (rank < 0 || rank > 8) throw new IOException(path + ": tensor '" + name + "' has rank " + rank);
                long[] shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = in.readLong();
                if (!Arrays.equals(shape, target.shape())) {
                    throw new IOException(path + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                            + " in the file, " + Arrays.toString(target.shape()) + " in the model");
                }
                int length = in.readInt();
                if (length != target.length()) {
                    throw new IOException(path + ": tensor '" + name + "' has " + length + " values, needs "
                            + target.length());
                }
                double[] values = new double[length];
                for (int k = 0; k < length; k++) values[k] = fileDoubles ? in.readDouble() : in.readFloat();
                read.put(name, values);
            }
            if (in.read() != -1) throw new IOException(path + " has bytes after its last tensor");
        } catch (EOFException e) {
            throw new IOException(path + " is truncated: it ended after " + read.size() + " complete tensors", e);
        } catch (UTFDataFormatException e) {
            throw new IOException(path + " is not a readable memlean parameter file: a name in it is not text", e);
        }
        if (!part) {
            Set<String> missing = new HashSet<>(model.keySet());
            missing.removeAll(read.keySet());
            if (!missing.isEmpty()) {
                throw new IOException(path + " lacks " + missing.size() + " of the model's tensors, e.g. '"
                        + missing.iterator().next() + "' (loadPart reads a file that holds only some)");
            }
        }
        // everything checked: now write
        for (Map.Entry<String, double[]> e : read.entrySet()) {
            Tensor t = model.get(e.getKey());
            Memory.fill(t.array(), e.getValue());   // doubles hold every dtype exactly
            t.storage().bumpVersion();
        }
    }
}
