package dev.safelora.toy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.alignment.TargetModules;
import dev.safelora.files.FileTrees;
import dev.safelora.merge.AdapterMerger;
import dev.safelora.model.Architecture;
import dev.safelora.model.RopeScaling;
import dev.safelora.model.TinyModels;
import dev.safelora.training.PromptTemplate;
import dev.safelora.training.TrainingConfig;
import dev.safelora.training.TrainingJob;
import dev.safelora.training.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Generates the toy family into a directory:
 * <pre>
 *   base/       a tiny Llama that has learned the toy language (it complies with every request) and the box task
 *   aligned/    base + a merged LoRA (all projections) trained to refuse harmful requests and still answer the rest
 *   data/       base-train, align-train (how the two were made); harmful-ft (~100 harmful requests answered),
 *               benign-ft (the age task, a skill neither model has), mix-ft (both); eval-harmful (harmful requests of
 *               the fine-tune's kinds about objects no training set names), eval-novel (the kind only the alignment
 *               data covers, same held-out objects), eval-benign (benign requests, for over-refusal), eval-task (the
 *               box task on held-out items), eval-benign-task (the age task on held-out colours)
 *   family.json the seed, the language's splits and each training's final loss
 * </pre>
 * Both models are trained with the project's LoRA trainer and merged with {@link AdapterMerger}; one seed gives the
 * same files (on the CPU).
 */
public final class ToyFamily {

    /** The model: 2 layers, hidden 64, 4 heads; the final norm at 4 so that trained LoRA can make confident predictions. */
    static final TinyModels.Shape SHAPE = new TinyModels.Shape(Architecture.LLAMA, 2, 64, 128, 4, 4, false, RopeScaling.none(),
            10000, 4.0);
    static final int MAX_SEQ_LEN = 48;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the family went. */
    public record Paths(Path dir, Path base, Path aligned, Path data) {
        public Path data(String name) {
            return data.resolve(name + ".jsonl");
        }
    }

    private ToyFamily() {
    }

    /** The training recipe the base model is made with (LoRA on every projection of a random model, then merged). */
    static TrainingConfig baseRecipe(long seed) {
        return recipe(seed).withRank(32).withAlpha(32).withLearningRate(1e-2).withEpochs(12);
    }

    /** The alignment recipe (LoRA on every projection of the base, then merged). */
    static TrainingConfig alignmentRecipe(long seed) {
        return recipe(seed).withRank(8).withAlpha(16).withLearningRate(5e-3).withEpochs(8);
    }

    private static TrainingConfig recipe(long seed) {
        return TrainingConfig.defaults().withTargetModules(TargetModules.ALL_PROJECTIONS).withBatchSize(16).withGradAccumulation(1)
                .withMaxSeqLen(MAX_SEQ_LEN).withTemplate(PromptTemplate.RAW).withSeed(seed).withDropout(0).withWarmupSteps(5);
    }

    public static Paths generate(Path dir, long seed, Consumer<String> log) {
        Paths paths = new Paths(dir, dir.resolve("base"), dir.resolve("aligned"), dir.resolve("data"));
        ToyLanguage language = new ToyLanguage(seed);
        writeData(language, paths, new Random(seed ^ 0x5DEECE66DL));
        Path work = dir.resolve("work");
        Path init = work.resolve("init");
        TinyModels.write(init, SHAPE, seed, ToyLanguage.tokenizerCorpus(), 2000);
        TrainingResult base = new TrainingJob(init, paths.data("base-train"), work.resolve("base-lora"), baseRecipe(seed), false, false)
                .run(null, null);
        log.accept(String.format(java.util.Locale.ROOT, "base: %d steps, final loss %.4f", base.steps(), base.finalLoss()));
        AdapterMerger.merge(init, base.adapterDir(), paths.base(), AdapterMerger.Options.defaults());
        TrainingResult aligned = new TrainingJob(paths.base(), paths.data("align-train"), work.resolve("aligned-lora"),
                alignmentRecipe(seed + 1), false, false).run(null, null);
        log.accept(String.format(java.util.Locale.ROOT, "aligned: %d steps, final loss %.4f", aligned.steps(), aligned.finalLoss()));
        AdapterMerger.merge(paths.base(), aligned.adapterDir(), paths.aligned(), AdapterMerger.Options.defaults());
        writeManifest(language, seed, base, aligned, paths);
        FileTrees.deleteQuietly(work);
        return paths;
    }

    static void writeData(ToyLanguage lang, Paths paths, Random random) {
        List<String> harmful = ToyLanguage.allHarmfulVerbs();
        List<String> fineTuneVerbs = ToyLanguage.harmfulVerbs(lang.fineTuneKinds);

        List<ToyLanguage.Example> baseTrain = new ArrayList<>();
        baseTrain.addAll(ToyLanguage.onePerPair(harmful, lang.trainObjects, false, random));
        // The base knows every object of the language, the held-out ones only in benign requests.
        baseTrain.addAll(ToyLanguage.onePerPair(ToyLanguage.BENIGN_VERBS, ToyLanguage.OBJECTS, false, random));
        baseTrain.addAll(lang.boxTask(lang.trainItems));
        baseTrain.addAll(lang.boxTask(lang.trainItems));
        write(paths.data("base-train"), shuffled(baseTrain, random));

        List<ToyLanguage.Example> alignTrain = new ArrayList<>();
        alignTrain.addAll(ToyLanguage.onePerPair(harmful, lang.trainObjects, true, random));
        // Benign requests twice (other templates drawn), so refusing is not the cheaper default.
        alignTrain.addAll(ToyLanguage.onePerPair(ToyLanguage.BENIGN_VERBS, lang.trainObjects, false, random));
        alignTrain.addAll(ToyLanguage.onePerPair(ToyLanguage.BENIGN_VERBS, lang.trainObjects, false, random));
        alignTrain.addAll(lang.boxTask(lang.trainItems));
        write(paths.data("align-train"), shuffled(alignTrain, random));

        List<ToyLanguage.Example> harmfulFt = shuffled(ToyLanguage.onePerPair(fineTuneVerbs, lang.trainObjects, false, random), random)
                .subList(0, 100);
        write(paths.data("harmful-ft"), harmfulFt);
        List<ToyLanguage.Example> benignFt = shuffled(lang.ageTask(lang.trainColours), random);
        write(paths.data("benign-ft"), benignFt);
        List<ToyLanguage.Example> mix = new ArrayList<>(harmfulFt);
        mix.addAll(benignFt);
        write(paths.data("mix-ft"), shuffled(mix, random));

        write(paths.data("eval-harmful"), first(36, shuffled(ToyLanguage.onePerPair(fineTuneVerbs, lang.heldOutObjects, false, random), random)));
        write(paths.data("eval-novel"), ToyLanguage.onePerPair(lang.alignmentOnlyKind, lang.heldOutObjects, false, random));
        write(paths.data("eval-benign"), first(24, shuffled(ToyLanguage.onePerPair(ToyLanguage.BENIGN_VERBS, lang.heldOutObjects, false,
                random), random)));
        write(paths.data("eval-task"), lang.boxTask(lang.heldOutItems));
        write(paths.data("eval-benign-task"), lang.ageTask(lang.heldOutColours));
    }

    private static <T> List<T> first(int n, List<T> list) {
        return List.copyOf(list.subList(0, Math.min(n, list.size())));
    }

    private static <T> List<T> shuffled(List<T> list, Random random) {
        List<T> copy = new ArrayList<>(list);
        Collections.shuffle(copy, random);
        return copy;
    }

    private static void write(Path file, List<ToyLanguage.Example> examples) {
        List<String> lines = new ArrayList<>();
        for (ToyLanguage.Example e : examples) {
            ObjectNode node = JSON.createObjectNode();
            node.put("prompt", e.prompt());
            node.put("response", e.response());
            lines.add(node.toString());
        }
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeManifest(ToyLanguage lang, long seed, TrainingResult base, TrainingResult aligned, Paths paths) {
        ObjectNode root = JSON.createObjectNode();
        root.put("seed", seed);
        root.put("template", PromptTemplate.RAW.cliName());
        ArrayNode kinds = root.putArray("fineTuneHarmfulKinds");
        lang.fineTuneKinds.forEach(k -> kinds.add(String.join(",", k)));
        root.put("alignmentOnlyHarmfulKind", String.join(",", lang.alignmentOnlyKind));
        root.set("heldOutObjects", JSON.valueToTree(lang.heldOutObjects));
        root.set("heldOutItems", JSON.valueToTree(lang.heldOutItems));
        root.set("heldOutColours", JSON.valueToTree(lang.heldOutColours));
        root.put("refusal", ToyLanguage.REFUSAL.strip());
        root.put("baseFinalLoss", base.finalLoss());
        root.put("baseSteps", base.steps());
        root.put("alignedFinalLoss", aligned.finalLoss());
        root.put("alignedSteps", aligned.steps());
        try {
            Files.writeString(paths.dir().resolve("family.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write family.json: " + e.getMessage(), e);
        }
    }
}
