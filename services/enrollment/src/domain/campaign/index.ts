// Allocation campaigns: ranked choices collected in a window, allocated at the close by deferred
// acceptance with category priorities and a published-seed lottery. Pure: no I/O.
export {
  allocateCampaign,
  CAMPAIGN_ALGORITHM,
  type CampaignResult,
  type ChildOutcome,
  type ChoiceExplanation,
  type GroupOutcome,
  type GroupPriority,
  type RoundTrace,
} from "./allocate";
export {
  CampaignChild,
  CampaignGroup,
  CampaignInput,
  CampaignSeed,
  canonicalise,
  fromCanonical,
  inputDigest,
  type CanonicalInput,
} from "./input";
export { commitSeed, drawLottery, lotteryNumber, verifySeedReveal, type LotteryTicket } from "./lottery";
export { explainOutcome, type ChoiceSentence, type FamilyExplanation, type PlacementFact } from "./explain";
