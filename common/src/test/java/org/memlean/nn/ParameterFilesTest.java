package org.memlean.nn;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memlean.tensor.Rng;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParameterFilesTest {
    @TempDir
    Path dir;

    private static float[] snapshot(Gpt model) {
        return model.namedParameters().get("blocks.1.mlp.fc.weight").toFloatArray();
    }

    @Test
    void savedParametersLoadIntoAnotherModel() throws IOException {
        Rng.seed(1);
        try (Gpt a = new Gpt(GptConfig.defaults()); Gpt b = new Gpt(GptConfig.defaults())) {
            Path file = dir.resolve("a.params");
            ParameterFiles.save(a, file);
            assertThat(snapshot(b)).isNotEqualTo(snapshot(a));
            ParameterFiles.load(b, file);
            for (String name : a.namedParameters().keySet()) {
                assertThat(b.namedParameters().get(name).toFloatArray()).as(name)
                        .isEqualTo(a.namedParameters().get(name).toFloatArray());
            }
        }
    }

    @Test
    void aFileOfOtherShapesDtypeOrTruncatedFailsClearlyAndLeavesTheModelUnchanged() throws IOException {
        Rng.seed(2);
        try (Gpt model = new Gpt(GptConfig.defaults());
             Gpt wider = new Gpt(GptConfig.defaults().withChannels(32));
             Gpt half = new Gpt(GptConfig.defaults().withDataType(DataType.HALF))) {
            float[] before = snapshot(model);

            Path widerFile = dir.resolve("wider.params");
            ParameterFiles.save(wider, widerFile);
            assertThatThrownBy(() -> ParameterFiles.load(model, widerFile)).isInstanceOf(IOException.class)
                    .hasMessageContaining("'tokens.weight' has shape [11, 32] in the file, [11, 64] in the model");

            Path halfFile = dir.resolve("half.params");
            ParameterFiles.save(half, halfFile);
            assertThatThrownBy(() -> ParameterFiles.load(model, halfFile)).isInstanceOf(IOException.class)
                    .hasMessageContaining("is HALF in the file, FLOAT in the model");

            Path good = dir.resolve("good.params");
            Rng.seed(3);
            try (Gpt other = new Gpt(GptConfig.defaults())) {
                ParameterFiles.save(other, good);
            }
            byte[] bytes = Files.readAllBytes(good);
            Path truncated = dir.resolve("truncated.params");
            Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
            assertThatThrownBy(() -> ParameterFiles.load(model, truncated)).isInstanceOf(IOException.class)
                    .hasMessageContaining("is truncated");

            Path notOurs = dir.resolve("other.bin");
            Files.writeString(notOurs, "hello");
            assertThatThrownBy(() -> ParameterFiles.load(model, notOurs)).isInstanceOf(IOException.class);

            assertThat(snapshot(model)).isEqualTo(before);
        }
    }

    /** A parameter file written by hand: the given names, each with the values of the model's tensor of that name. */
    private static void writeFile(Path file, Gpt model, String... names) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.write("MEMLEANP".getBytes(StandardCharsets.US_ASCII));
            out.writeInt(2);
            out.writeInt(names.length);
            for (String name : names) {
                var t = model.namedParameters().get(name);
                out.writeUTF(name);
                out.writeUTF(t.dtype().name());
                out.writeInt(t.rank());
                for (long d : t.shape()) out.writeLong(d);
                float[] v = t.toFloatArray();
                out.writeInt(v.length);
                for (float f : v) out.writeFloat(f);
            }
        }
    }

    @Test
    void aFileListingOneParameterTwiceOrNotAParameterFileAtAllIsRefusedAndChangesNothing() throws IOException {
        Rng.seed(4);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            float[] before = snapshot(model);
            String[] names = model.namedParameters().keySet().toArray(new String[0]);
            String[] twice = names.clone();
            twice[twice.length - 1] = twice[0];                    // one name twice, the last one not at all
            Path dup = dir.resolve("twice.params");
            writeFile(dup, model, twice);
            assertThatThrownBy(() -> ParameterFiles.load(model, dup)).isInstanceOf(IOException.class)
                    .hasMessageContaining("'" + names[0] + "' is in the file twice");

            Path random = dir.resolve("random.bin");
            byte[] noise = new byte[4096];
            new Random(1).nextBytes(noise);
            Files.write(random, noise);
            assertThatThrownBy(() -> ParameterFiles.load(model, random)).isInstanceOf(IOException.class)
                    .hasMessageContaining(random.toString()).hasMessageContaining("not a memlean parameter file");

            assertThatThrownBy(() -> ParameterFiles.load(model, dir)).isInstanceOf(IOException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("is a directory");

            Path part = dir.resolve("part.params");
            writeFile(part, model, names[0], names[1]);
            assertThatThrownBy(() -> ParameterFiles.load(model, part)).isInstanceOf(IOException.class)
                    .hasMessageContaining("lacks");
            assertThat(snapshot(model)).isEqualTo(before);
            ParameterFiles.loadPart(model, part);                  // a part is fine when asked for
        }
    }
}
