package dev.safelora.stage.trainer;

import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.stage.BadInputException;
import dev.safelora.stage.jobs.WorkerSettings;
import dev.safelora.training.PromptTemplate;
import dev.safelora.training.TrainingConfig;

/** A training request's hyperparameters as the trainer's {@link TrainingConfig}; invalid ones are bad input. */
final class TrainingConfigs {

    private TrainingConfigs() {
    }

    static TrainingConfig from(TrainingRequest request, WorkerSettings settings) {
        // The same rules submit and the planner apply: a record produced straight to the jobs topic gets no less.
        java.util.List<String> problems = dev.safelora.requests.RecordRules.trainingRequest(request);
        if (!problems.isEmpty()) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "training request " + request.getRequestId() + " ("
                    + problems.size() + (problems.size() == 1 ? " problem): " : " problems): ") + String.join("; ", problems));
        }
        LoraSettings lora = request.getLora();
        OptimizerSettings opt = request.getOptimizer();
        try {
            return TrainingConfig.defaults()
                    .withRank(lora.getR())
                    .withAlpha(lora.getAlpha())
                    .withRsLora(lora.getRsLora())
                    .withDropout(lora.getDropout())
                    .withTargetModules(lora.getTargetModules())
                    .withLearningRate(opt.getLearningRate())
                    .withEpochs(opt.getEpochs())
                    .withBatchSize(opt.getBatchSize())
                    .withGradAccumulation(opt.getGradientAccumulationSteps())
                    .withMaxSeqLen(opt.getMaxSequenceLength())
                    .withWarmupSteps(opt.getWarmupSteps())
                    .withWeightDecay(opt.getWeightDecay())
                    .withSeed(opt.getSeed())
                    .withTemplate(PromptTemplate.fromName(settings.template()))
                    .withCheckpointEvery(settings.checkpointEvery())
                    .withDevice(settings.device())
                    .withGroupByLength(settings.groupByLength());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "training request " + request.getRequestId() + ": " + e.getMessage(), e);
        }
    }
}
