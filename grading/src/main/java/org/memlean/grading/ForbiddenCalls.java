package org.memlean.grading;

import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the compiled exercise classes and finds the calls a task's code may not make: the course's
 * own answers (the chapters, common's formulas, the training step), and anything that reaches
 * outside the exercise — files, processes, threads, reflection, the JVM's exit, the grader itself,
 * the device's limit. A task whose code (followed through every exercise method it calls) makes
 * such a call scores 0, with the call named.
 *
 * <p>What it cannot stop: a student reading a test's source and writing its expected numbers in; the
 * tests draw their configurations at random for that (see the instructors' notes in the README).
 */
final class ForbiddenCalls {
    /** Packages no exercise code may touch: outside the exercise, or the course's answers. */
    private static final List<String> PACKAGES = List.of(
            "java.io.", "java.nio.file.", "java.nio.channels.", "java.net.", "java.lang.reflect.", "java.lang.invoke.MethodHandles",
            "java.lang.ref.", "java.lang.instrument.", "java.lang.management.", "java.util.concurrent.", "java.util.logging.",
            "java.util.jar.", "java.util.zip.", "java.security.", "javax.", "jdk.", "sun.", "com.sun.", "org.bytedeco.",
            "org.nd4j.", "org.memlean.lab.", "org.memlean.tools.", "org.memlean.grading.", "org.memlean.dist.NcclCollective",
            "org.memlean.ch", "com.fasterxml.", "org.junit.", "org.assertj.");
    /** ...except these members of them, which an exercise may need. */
    private static final List<String> ALLOWED = List.of(
            "java.io.PrintStream#print", "java.io.PrintStream#println", "java.io.PrintStream#printf",
            "java.io.PrintStream#format", "java.io.Serializable", "java.io.IOException", "java.io.UncheckedIOException",
            "java.util.concurrent.atomic.", "java.util.concurrent.ThreadLocalRandom",
            "java.lang.invoke.LambdaMetafactory", "java.lang.invoke.StringConcatFactory", "java.lang.invoke.MethodHandle",
            "java.lang.invoke.MethodType", "java.lang.invoke.CallSite",
            "org.nd4j.linalg.api.ndarray.INDArray", "org.nd4j.linalg.api.buffer.DataType", "org.nd4j.linalg.indexing.",
            "org.nd4j.linalg.api.buffer.DataBuffer#asFloat", "org.nd4j.linalg.api.buffer.DataBuffer#asDouble");
    /** Classes and members no exercise code may touch, in packages it otherwise may. */
    private static final List<String> MEMBERS = List.of(
            "java.lang.Runtime", "java.lang.Process", "java.lang.ProcessBuilder", "java.lang.ProcessHandle",
            "java.lang.Thread", "java.lang.ThreadGroup", "java.lang.ClassLoader", "java.lang.Module", "java.lang.ModuleLayer",
            "java.lang.SecurityManager", "java.lang.StackWalker", "java.lang.Class#forName", "java.lang.Class#getDeclared",
            "java.lang.Class#getMethod", "java.lang.Class#getField", "java.lang.Class#getConstructor",
            "java.lang.Class#newInstance", "java.lang.Class#getClassLoader", "java.lang.Class#getResource",
            "java.lang.System#exit", "java.lang.System#getProperty", "java.lang.System#getProperties",
            "java.lang.System#setProperty", "java.lang.System#clearProperty", "java.lang.System#getenv",
            "java.lang.System#setOut", "java.lang.System#setErr", "java.lang.System#setIn", "java.lang.System#in",
            "java.lang.System#load", "java.lang.System#loadLibrary", "java.lang.System#console",
            "java.lang.System#inheritedChannel", "java.lang.System#setSecurityManager", "java.lang.System#getLogger",
            // the framework's global switches: a task that changes them changes every task after it
            "org.memlean.memory.Device#setLimitBytes", "org.memlean.memory.Device#setComputeThreads",
            "org.memlean.memory.DeviceBudget#closeAll", "org.memlean.memory.ProcessCheck",
            "org.memlean.memory.MemoryMeter#closeAllOnThisThread", "org.memlean.memory.Scope#closeAllOnThisThread",
            "org.memlean.memory.Listeners#clear", "org.memlean.tensor.GradMode#reset", "org.memlean.tensor.Autocast#reset",
            // common's formulas: the answers of the counting tasks
            "org.memlean.nn.GptConfig#parameterCount", "org.memlean.nn.GptConfig#blockParameterCount",
            "org.memlean.nn.GptConfig#savedActivationBytes", "org.memlean.nn.GptConfig#blockSavedValues",
            "org.memlean.nn.GptConfig#headSavedValues", "org.memlean.nn.GptConfig#normStatisticValues",
            "org.memlean.nn.GptConfig#dropoutSavedBytes", "org.memlean.nn.GptConfig#inferenceInFlightBytes",
            "org.memlean.nn.GptConfig#autocastSavedActivationBytes", "org.memlean.nn.Layer#parameterCount",
            "org.memlean.nn.Layer#trainableParameterCount");

    /** One forbidden call: where it is made, and what it calls. */
    record Violation(String where, String target) {
        @Override
        public String toString() {
            return where + " calls " + target;
        }
    }

    private final JavaClasses exercises;
    private final JavaClasses tests;
    private final String exercisePackage;

    /**
     * @param exerciseDirs the compiled exercise classes (class-path order: the first occurrence of a class wins)
     * @param testDirs     the compiled graded tests
     */
    ForbiddenCalls(List<Path> exerciseDirs, List<Path> testDirs, String exercisePackage) {
        this.exercisePackage = exercisePackage;
        ClassFileImporter importer = new ClassFileImporter();
        this.exercises = importer.importPaths(existing(exerciseDirs, exercisePackage));
        this.tests = importer.importPaths(existing(testDirs, exercisePackage));
    }

    private static List<Path> existing(List<Path> dirs, String pkg) {
        List<Path> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Path dir : dirs) {
            Path sub = dir.resolve(pkg.replace('.', '/'));
            if (!Files.isDirectory(sub)) continue;
            try (var walk = Files.walk(sub)) {
                walk.filter(f -> f.toString().endsWith(".class")).forEach(f -> {
                    if (seen.add(dir.relativize(f).toString())) out.add(f);   // the first on the class path wins
                });
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Whether a class belongs to the exercise code (rather than to the graded tests beside it). */
    private boolean isExercise(String className) {
        return exercises.contain(className) && !tests.contain(className);
    }

    /**
     * The forbidden calls each graded test's exercise code makes, by the test's class and method
     * ("org.memlean.exercises.ch09.InPlaceOpsTest#reluInPlace"); tests whose code makes none are absent.
     */
    Map<String, List<Violation>> byTest() {
        Map<String, List<Violation>> out = new LinkedHashMap<>();
        for (JavaClass testClass : tests) {
            if (isExercise(testClass.getName())) continue;
            for (JavaMethod method : testClass.getMethods()) {
                Optional<Task> task = method.tryGetAnnotationOfType(Task.class);
                if (task.isEmpty()) continue;
                List<String> extra = List.of(task.get().forbids());
                List<Violation> found = new ArrayList<>();
                for (JavaCodeUnit unit : reachable(method)) {
                    if (!isExercise(unit.getOwner().getName())) continue;          // the grader's own helpers
                    for (JavaAccess<?> access : unit.getAccessesFromSelf()) {
                        String target = name(access.getTarget());
                        if (forbidden(target, extra)) found.add(new Violation(where(unit), target));
                    }
                }
                // what the code uses besides calls (a Class literal, a cast, a type it declares), and what the
                // classes it runs are built from (a supertype, a field): only what the task's code reaches
                for (JavaCodeUnit unit : reachable(method)) {
                    if (!isExercise(unit.getOwner().getName())) continue;
                    for (String target : typesUsed(unit)) {
                        if (forbidden(target, extra) && found.stream().noneMatch(v -> v.target().startsWith(target))) {
                            found.add(new Violation(where(unit), target));
                        }
                    }
                }
                for (JavaClass used : classesOf(reachable(method))) {
                    if (!isExercise(used.getName())) continue;
                    for (String target : typesBuiltFrom(used)) {
                        if (forbidden(target, extra) && found.stream().noneMatch(v -> v.target().startsWith(target))) {
                            found.add(new Violation(used.getSimpleName(), target));
                        }
                    }
                }
                if (!found.isEmpty()) out.put(testClass.getName() + "#" + method.getName(), dedupe(found));
            }
        }
        return out;
    }

    private static List<Violation> dedupe(List<Violation> found) {
        return new ArrayList<>(new LinkedHashSet<>(found));
    }

    /**
     * The code a test method runs: every code unit reachable from its calls — through the graded
     * test's own helpers into the exercise classes — with the classes' initialisers and lambdas.
     */
    private Set<JavaCodeUnit> reachable(JavaMethod test) {
        Set<JavaCodeUnit> seen = new LinkedHashSet<>();
        Deque<JavaCodeUnit> todo = new ArrayDeque<>();
        for (JavaAccess<?> access : test.getAccessesFromSelf()) enqueueTarget(access, seen, todo);
        // lambdas in the test body that call exercise code
        for (JavaCodeUnit unit : test.getOwner().getCodeUnits()) {
            if (unit.getName().startsWith("lambda$" + test.getName() + "$")) {
                for (JavaAccess<?> access : unit.getAccessesFromSelf()) enqueueTarget(access, seen, todo);
            }
        }
        while (!todo.isEmpty()) {
            JavaCodeUnit unit = todo.pop();
            for (JavaAccess<?> access : unit.getAccessesFromSelf()) enqueueTarget(access, seen, todo);
            JavaClass owner = unit.getOwner();
            for (JavaCodeUnit sibling : owner.getCodeUnits()) {
                // the code of a lambda or an initialiser belongs to whatever runs it
                boolean lambda = sibling.getName().startsWith("lambda$" + unit.getName() + "$");
                boolean init = sibling.getName().equals("<clinit>");
                if ((lambda || init) && seen.add(sibling)) todo.push(sibling);
            }
        }
        return seen;
    }

    private void enqueueTarget(JavaAccess<?> access, Set<JavaCodeUnit> seen, Deque<JavaCodeUnit> todo) {
        String ownerName = access.getTargetOwner().getName();
        JavaClass owner;
        if (isExercise(ownerName)) {
            owner = exercises.get(ownerName);
        } else if (tests.contain(ownerName)) {
            owner = tests.get(ownerName);                 // a helper of the graded test: follow what it calls
        } else {
            return;
        }
        String name = access.getTarget().getName();
        for (JavaCodeUnit unit : owner.getCodeUnits()) {
            // overloads, overrides and constructors by name: a little wide, never narrow
            if (unit.getName().equals(name) && seen.add(unit)) todo.push(unit);
        }
        // a call into a class also runs its nested classes' code it hands work to: follow subclasses' overrides
        for (JavaClass nested : isExercise(ownerName) ? exercises : tests) {
            if (nested.getName().startsWith(owner.getName() + "$")) {
                for (JavaCodeUnit unit : nested.getCodeUnits()) {
                    if (unit.getName().equals(name) && seen.add(unit)) todo.push(unit);
                }
            }
        }
    }

    /** The types a code unit names without calling them: parameters, result, Class literals, instanceof. */
    private static Set<String> typesUsed(JavaCodeUnit unit) {
        Set<String> out = new LinkedHashSet<>();
        unit.getRawParameterTypes().forEach(t -> out.add(t.getName()));
        out.add(unit.getRawReturnType().getName());
        unit.getReferencedClassObjects().forEach(r -> out.add(r.getRawType().getName()));
        unit.getInstanceofChecks().forEach(c -> out.add(c.getRawType().getName()));
        return out;
    }

    /** What a class is built from: its supertypes and its fields' types. */
    private static Set<String> typesBuiltFrom(JavaClass c) {
        Set<String> out = new LinkedHashSet<>();
        c.getRawSuperclass().ifPresent(t -> out.add(t.getName()));
        c.getRawInterfaces().forEach(t -> out.add(t.getName()));
        c.getFields().forEach(f -> out.add(f.getRawType().getName()));
        return out;
    }

    private static Set<JavaClass> classesOf(Set<JavaCodeUnit> units) {
        Set<JavaClass> out = new LinkedHashSet<>();
        for (JavaCodeUnit u : units) out.add(u.getOwner());
        return out;
    }

    private static String where(JavaCodeUnit unit) {
        String method = unit.getName();
        if (method.startsWith("lambda$")) method = method.substring(7, method.indexOf('$', 7)) + " (a lambda)";
        if (method.equals("<clinit>")) return unit.getOwner().getSimpleName() + "'s static initialiser";
        if (method.equals("<init>")) return unit.getOwner().getSimpleName() + "'s constructor";
        return unit.getOwner().getSimpleName() + "." + method;
    }

    private static String name(AccessTarget target) {
        return target.getOwner().getName() + "#" + target.getName();
    }

    /** Whether {@code target} ("owner#member" or a class name) is off limits. */
    static boolean forbidden(String target, List<String> extra) {
        for (String rule : extra) if (matches(target, rule)) return true;
        for (String rule : MEMBERS) if (matches(target, rule)) return true;
        boolean inPackage = PACKAGES.stream().anyMatch(target::startsWith);
        if (!inPackage) return false;
        return ALLOWED.stream().noneMatch(a -> matches(target, a));
    }

    private static boolean matches(String target, String rule) {
        if (rule.endsWith(".")) return target.startsWith(rule);
        if (rule.contains("#")) return target.equals(rule) || target.startsWith(rule) && target.charAt(rule.length()) != '$';
        return target.equals(rule) || target.startsWith(rule + "#") || target.startsWith(rule + "$");
    }
}
