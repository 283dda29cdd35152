package dev.safelora.stage.jobs;

import dev.safelora.contracts.Topic;
import dev.safelora.stage.StageConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker stages' own settings, read from {@link StageConfig#settings()} (file keys {@code stage.<key>})
 * with an environment variable winning where one is named:
 *
 * <table>
 *   <caption>worker stage keys</caption>
 *   <tr><th>file</th><th>environment</th><th>default</th></tr>
 *   <tr><td>stage.artifacts.uri</td><td>SAFELORA_ARTIFACTS_URI</td><td>file://&lt;work dir&gt;/artifacts (the planner's key too:
 *       one value in a shared file puts alignments and adapters under one root)</td></tr>
 *   <tr><td>stage.inputs.allowed</td><td>SAFELORA_INPUTS_ALLOWED</td><td>none: inputs only from the artifacts root. A
 *       comma-separated list of roots (file:///srv/models, s3://datasets/team-a) that checkpoints, data sets and
 *       evaluation sets may also come from; anything else named by a record is dead-lettered</td></tr>
 *   <tr><td>stage.topic.alignments / .adapters / .evaluations / .progress</td><td>-</td>
 *       <td>the pipeline's topics (safelora.alignments.v1 ...)</td></tr>
 *   <tr><td>stage.device</td><td>SAFELORA_DEVICE</td><td>cpu (cuda, cuda:1 on GPU nodes)</td></tr>
 *   <tr><td>stage.template</td><td>SAFELORA_TEMPLATE</td><td>raw (plain, llama2-chat)</td></tr>
 *   <tr><td>stage.checkpoint.every</td><td>SAFELORA_CHECKPOINT_EVERY</td><td>50 optimizer steps</td></tr>
 *   <tr><td>stage.progress.interval</td><td>SAFELORA_PROGRESS_INTERVAL</td><td>5s between progress events</td></tr>
 *   <tr><td>stage.job.max.steps</td><td>SAFELORA_JOB_MAX_STEPS</td><td>1000000 optimizer steps per training job; a job
 *       planned for more fails with a FAILED event saying so</td></tr>
 *   <tr><td>stage.job.max.duration</td><td>SAFELORA_JOB_MAX_DURATION</td><td>24h of training per job; a job still training
 *       then is stopped and fails with a FAILED event saying so</td></tr>
 *   <tr><td>stage.eval.max.new.tokens</td><td>SAFELORA_EVAL_MAX_NEW_TOKENS</td><td>128</td></tr>
 *   <tr><td>stage.export.vllm</td><td>SAFELORA_EXPORT_VLLM</td><td>false (true: also write {@code <adapter>/vllm/}, the
 *       projected adapter as {@code safelora export --for vllm} writes it)</td></tr>
 *   <tr><td>stage.export.vllm.max.lora.rank</td><td>SAFELORA_EXPORT_VLLM_MAX_LORA_RANK</td><td>16 (the server's --max-lora-rank)</td></tr>
 *   <tr><td>stage.train.from</td><td>SAFELORA_TRAIN_FROM</td><td>base: the trainer fine-tunes (and evaluates on) the family's
 *       base checkpoint; aligned: the aligned checkpoint, the setting of the SafeLoRA paper, where users fine-tune the
 *       aligned (chat) model and V = W_aligned - W_base is the safety direction the fine-tune may erode</td></tr>
 *   <tr><td>stage.train.group.by.length</td><td>SAFELORA_TRAIN_GROUP_BY_LENGTH</td><td>false (true: examples of similar length
 *       share an optimizer step, so less padding is computed; a seeded request then trains on a different data order)</td></tr>
 * </table>
 */
public record WorkerSettings(URI artifactsRoot, List<URI> inputsAllowed, String alignmentsTopic, String adaptersTopic, String evaluationsTopic,
                             String progressTopic, String device, String template, int checkpointEvery,
                             Duration progressInterval, int evalMaxNewTokens, long jobMaxSteps, Duration jobMaxDuration,
                             boolean exportVllm, int vllmMaxLoraRank, TrainFrom trainFrom,
                             boolean groupByLength) {

    /** Which checkpoint of the family the trainer fine-tunes, and evaluates the raw and projected adapters on. */
    public enum TrainFrom {
        BASE, ALIGNED;

        static TrainFrom parse(String text) {
            return switch (text.toLowerCase(java.util.Locale.ROOT)) {
                case "base" -> BASE;
                case "aligned" -> ALIGNED;
                default -> throw new IllegalArgumentException("stage.train.from must be base or aligned, got '" + text + "'");
            };
        }
    }

    /** The stage keys (without {@code stage.}) read here. */
    public static final List<String> KEYS = List.of("artifacts.uri", "inputs.allowed", "topic.alignments", "topic.adapters", "topic.evaluations",
            "topic.progress", "device", "template", "checkpoint.every", "progress.interval", "eval.max.new.tokens", "job.max.steps",
            "job.max.duration", "export.vllm", "export.vllm.max.lora.rank", "train.from", "train.group.by.length");

    private static final Logger LOG = LoggerFactory.getLogger(WorkerSettings.class);

    /** Settings with the default job budget and without the vLLM export ({@code stage.export.vllm=false}). */
    public WorkerSettings(URI artifactsRoot, List<URI> inputsAllowed, String alignmentsTopic, String adaptersTopic,
                          String evaluationsTopic, String progressTopic, String device, String template, int checkpointEvery,
                          Duration progressInterval, int evalMaxNewTokens) {
        this(artifactsRoot, inputsAllowed, alignmentsTopic, adaptersTopic, evaluationsTopic, progressTopic, device, template,
                checkpointEvery, progressInterval, evalMaxNewTokens, 1_000_000L, Duration.ofHours(24), false,
                dev.safelora.adapter.ServingExport.VLLM_DEFAULT_MAX_LORA_RANK, TrainFrom.BASE, false);
    }

    /** The same settings, fine-tuning {@code from} the given checkpoint. */
    public WorkerSettings withTrainFrom(TrainFrom from) {
        return new WorkerSettings(artifactsRoot, inputsAllowed, alignmentsTopic, adaptersTopic, evaluationsTopic, progressTopic, device,
                template, checkpointEvery, progressInterval, evalMaxNewTokens, jobMaxSteps, jobMaxDuration, exportVllm, vllmMaxLoraRank,
                from, groupByLength);
    }

    public static WorkerSettings from(StageConfig config, Map<String, String> env) {
        Map<String, String> s = config.settings();
        for (String unknown : config.unknownSettings(KEYS)) {
            LOG.warn("stage {}: unknown setting stage.{} is ignored (known here: {})", config.stageName(), unknown, KEYS);
        }
        return new WorkerSettings(config.artifactsRoot(),
                uris(value(s, env, "inputs.allowed", "SAFELORA_INPUTS_ALLOWED", ""), "stage.inputs.allowed"),
                s.getOrDefault("topic.alignments", Topic.ALIGNMENTS.topicName()),
                s.getOrDefault("topic.adapters", Topic.ADAPTERS.topicName()),
                s.getOrDefault("topic.evaluations", Topic.EVALUATIONS.topicName()),
                s.getOrDefault("topic.progress", Topic.TRAINING_PROGRESS.topicName()),
                value(s, env, "device", "SAFELORA_DEVICE", "cpu"),
                value(s, env, "template", "SAFELORA_TEMPLATE", "raw"),
                integer(value(s, env, "checkpoint.every", "SAFELORA_CHECKPOINT_EVERY", "50"), "stage.checkpoint.every"),
                StageConfig.parseDuration("stage.progress.interval", value(s, env, "progress.interval", "SAFELORA_PROGRESS_INTERVAL", "5s")),
                integer(value(s, env, "eval.max.new.tokens", "SAFELORA_EVAL_MAX_NEW_TOKENS", "128"), "stage.eval.max.new.tokens"),
                positiveLong(value(s, env, "job.max.steps", "SAFELORA_JOB_MAX_STEPS", "1000000"), "stage.job.max.steps"),
                StageConfig.parseDuration("stage.job.max.duration", value(s, env, "job.max.duration", "SAFELORA_JOB_MAX_DURATION", "24h")),
                bool(value(s, env, "export.vllm", "SAFELORA_EXPORT_VLLM", "false"), "stage.export.vllm"),
                integer(value(s, env, "export.vllm.max.lora.rank", "SAFELORA_EXPORT_VLLM_MAX_LORA_RANK",
                        String.valueOf(dev.safelora.adapter.ServingExport.VLLM_DEFAULT_MAX_LORA_RANK)), "stage.export.vllm.max.lora.rank"),
                TrainFrom.parse(value(s, env, "train.from", "SAFELORA_TRAIN_FROM", "base")),
                bool(value(s, env, "train.group.by.length", "SAFELORA_TRAIN_GROUP_BY_LENGTH", "false"), "stage.train.group.by.length"));
    }

    private static boolean bool(String text, String key) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + text + "'");
        };
    }

    private static String value(Map<String, String> settings, Map<String, String> env, String key, String envName, String fallback) {
        String v = env.get(envName);
        if (v != null && !v.isBlank()) {
            return v.strip();
        }
        v = settings.get(key);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    public WorkerSettings {
        inputsAllowed = List.copyOf(inputsAllowed);
    }

    private static List<URI> uris(String text, String key) {
        List<URI> out = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            String t = part.strip();
            if (t.isEmpty()) {
                continue;
            }
            try {
                out.add(dev.safelora.artifacts.ArtifactUriSyntax.parse(t));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static long positiveLong(String text, String key) {
        try {
            long v = Long.parseLong(text);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number > 0, got '" + text + "'");
        }
    }

    private static int integer(String text, String key) {
        try {
            int v = Integer.parseInt(text);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number >= 0, got '" + text + "'");
        }
    }
}
