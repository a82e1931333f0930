package org.memlean.lab;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * A chapter's formulas at any size — sizes no laptop can run — as a subcommand of
 * {@code ./memlean calc}: {@code calc lora --hidden 12288 --layers 96 --rank 4}. A calculator uses the
 * same formula code its chapter's measured test checks at small sizes: one formula, tested, then
 * extrapolated. Subclasses are picocli commands ({@code @Command(name = …)} with {@code @Option}s);
 * they are found with {@link ServiceLoader} (list them in
 * {@code META-INF/services/Calculator}), so a chapter adds one without editing the command line.
 */
public abstract class Calculator implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    /** The name under {@code calc}: {@code calc <name>} (the same as the command's name). */
    public abstract String name();

    /** The results by name, from the options picocli has set. Bad options: IllegalArgumentException. */
    public abstract Map<String, Object> calculate();

    /** The results as text, for a reader. */
    public abstract String text(Map<String, Object> results);

    @Override
    public Integer call() {
        Map<String, Object> results;
        try {
            results = calculate();
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        System.out.print(json ? Json.write(results) + "\n" : text(results));
        return 0;
    }
}
