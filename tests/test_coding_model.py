"""The coding model: guidance codes are suggested only for primaries whose family allows them."""

from __future__ import annotations

import re

import pytest

from notelint.core.analysis import analyze
from notelint.core.findings import Report
from notelint.evaluate import guidance_codes
from notelint.kb import KnowledgeBase, load_knowledge_base
from notelint.present.families import family_text

SCORED = guidance_codes(load_knowledge_base()) | {"77003", "77021", "76937", "77001", "77022"}


def _guidance(report: Report) -> list[str]:
    return sorted(s.code for s in report.suggested if s.code in SCORED)


def _rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


CASES = [
    # A separate family with each modality it allows.
    ("Ultrasound-guided core biopsy of a liver lesion; three cores obtained.", ["76942"]),
    ("CT-guided core biopsy of a left iliac bone lesion. Two cores were obtained.", ["77012"]),
    ("Under fluoroscopy, the left hip joint was injected with triamcinolone.", ["77002"]),
    ("MRI-guided biopsy of a right adrenal mass; two cores obtained.", ["77021"]),
    ("Ultrasound-guided injection of the first CMC joint, right thumb.", []),  # with US: 20604
    ("Left L3 lumbar sympathetic block under fluoroscopic guidance.", ["77003"]),
    (
        "Right internal jugular vein accessed under ultrasound; tunneled dialysis catheter placed.",
        ["76937"],
    ),
    # Wording a phrase list misses.
    (
        "PROCEDURE: Right shoulder.\nThe needle was inserted down to the subacromial bursa. "
        "Kenalog 40 mg was injected under fluoroscopy.",
        ["77002"],
    ),
    # The pleura itself is not the lung: 32400 takes its guidance apart, 32408 includes it.
    (
        "US-guided biopsy of right pleural thickening: 18g core needle advanced into the "
        "thickened pleura under real-time ultrasound, four cores.",
        ["76942"],
    ),
    ("CT-guided core biopsy of a pleural-based right lower lobe mass; three cores obtained.", []),
    # A positioning aid is not a target; the risks listed for consent were not done.
    (
        "Left stellate ganglion block under fluoroscopy.\nPt consented after discussion of "
        "risks including hoarseness, intravascular injection and pneumothorax. Pt supine with a "
        "shoulder roll.",
        ["77003"],
    ),
    # Irreversible electroporation includes its guidance (0600T/0601T), whatever the billing
    # line claims; an earlier ablation's zone biopsied today is a biopsy, not an ablation.
    (
        "Percutaneous irreversible electroporation (IRE) of a caudate HCC. Four IRE electrodes "
        "placed around the lesion under CT guidance.\nCharges: 47382, 77013-26",
        [],
    ),
    (
        "ULTRASOUND GUIDED LIVER BIOPSY\nPreliminary ultrasound showed the ablation zone in "
        "segment 6 with a nodular margin. Under real-time sonographic guidance 3 18G cores were "
        "obtained from the nodular margin of the ablation zone.",
        ["76942"],
    ),
    # A nerve block given as the anaesthesia is part of the procedure it numbs; a pudendal
    # block done for pain is a nerve block, with its guidance apart.
    (
        "Date of service: 04/22/2026\nLocal: bilateral pudendal/periprostatic block, 20 mL 1% "
        "lidocaine.\nTRUS-guided transrectal prostate biopsy, 12 cores.",
        [],
    ),
    ("Ultrasound-guided right pudendal nerve block for pelvic pain, 10 mL bupivacaine.", ["76942"]),
    # A ganglion cyst (20612) takes its ultrasound guidance apart; it is not its wrist joint.
    (
        "US guided aspiration L dorsal wrist ganglion: 18g needle advanced in-plane under "
        "continuous US visualization, tip seen within the cyst, 0.8 mL aspirated.",
        ["76942"],
    ),
    # "Lateral elbow" is the common extensor origin, not the elbow joint (20551, not 20606).
    (
        "US guided injection - R lateral elbow\nUsing US guidance a 25G needle was advanced in "
        "plane to the common extensor origin and 20 mg triamcinolone injected.",
        ["76942"],
    ),
    # Platelet-rich plasma (0232T) includes its guidance and the injection's own code.
    (
        "Under fluoroscopy, 4 mL leukocyte-poor PRP was injected into the right hip joint "
        "through a 22G spinal needle.",
        [],
    ),
    # No needle went in: nothing for a needle guidance code to guide.
    (
        "CT GUIDED BONE BIOPSY - NOT PERFORMED\nA planning CT with grid was obtained. Procedure "
        "aborted before any needle placement; no needle inserted.",
        [],
    ),
    # A procedure only planned, under its own heading, was not done.
    (
        "Planned: percutaneous US-guided native kidney biopsy today.\nBiopsy deferred: BP 192/104.",
        [],
    ),
    # A needle seen on live ultrasound is ultrasound guidance.
    (
        "Transperineal prostate biopsy, 12 cores, needle trajectory confirmed on live sagittal US.",
        ["76942"],
    ),
    # Stand-alone fluoroscopy: a skin marker is no localization device, the findings' "sternotomy
    # wires" no operation today, a peritoneal dialysis catheter no central venous one.
    (
        "FLUOROSCOPIC FOREIGN BODY LOCALIZATION, RIGHT HAND\nPROCEDURE: The hand was rotated "
        "under live fluoroscopy. A radiopaque marker was placed on the skin over the fragment.",
        ["76000"],
    ),
    (
        "FLUOROSCOPY CHEST - SNIFF TEST\nTechnique: Real-time fluoroscopy of the chest during "
        "sniffing.\nFindings: Paradoxical right hemidiaphragm motion. Median sternotomy wires.",
        ["76000"],
    ),
    (
        "CINEFLUOROSCOPY - PROSTHETIC MITRAL VALVE\nFluoroscopy of the heart in multiple "
        "projections; cine loops recorded. Restricted posterior leaflet opening.",
        ["76000"],
    ),
    (
        "Under fluoroscopic guidance a wire was advanced through the peritoneal dialysis catheter "
        "and its coil redirected into the pelvis.",
        [],
    ),
    # Blocks of the brachial plexus, axillary, sciatic or femoral nerve include their imaging
    # (64415-64417, 64445-64448), and the nerves such a block reaches are its parts; a lateral
    # femoral cutaneous nerve is not the femoral nerve (64450, guidance apart).
    (
        "Peripheral Nerve Block Note\nPopliteal sciatic block under ultrasound: tibial and common "
        "peroneal nerves traced proximally, 22G needle in plane, tip between the tibial and CPN.",
        [],
    ),
    (
        "Axillary brachial plexus block under ultrasound as the surgical anesthetic.\nUS probe in "
        "the axilla; median, ulnar, radial and musculocutaneous nerves each surrounded with "
        "local anesthetic, needle in plane.",
        [],
    ),
    (
        "Ultrasound-guided left lateral femoral cutaneous nerve block: 25G needle in plane, "
        "spread seen around the nerve.",
        ["76942"],
    ),
    # A yes/no field answered no; a machine said not to have been used.
    (
        "Trigger point injections, R upper trapezius and levator scapulae.\nUS guidance used: "
        "[ ] Yes  [X] No\n27g needle, 1 mL 1% lidocaine per site.",
        [],
    ),
    (
        "US-GUIDED TRIGGER POINT INJECTION\nR trapezius, by palpation. US was at bedside for "
        "another pt; not used.",
        [],
    ),
    # An unticked option in a row of boxes was not chosen; the next box ends it.
    (
        "Procedure: [x] Joint injection  [ ] Tendon sheath  [ ] Nerve\nSite: 1st MTPJ\n"
        "Guidance: [ ] none/palpation  [x] ultrasound  [ ] fluoroscopy\n25g needle in plane, "
        "tip seen in the joint.",
        [],
    ),
    # What was had before, another service's procedure, a dated one recounted in a letter, a
    # post-ORIF foot: none of them is today's procedure or an operation.
    (
        "US-guided first MTP aspiration, 22g needle in plane, tip seen in the dorsal recess.\n"
        "Note: pt had fluoro-guided toe injection here in 2024 - not repeated.",
        [],
    ),
    (
        "Interval: IR performed US-guided percutaneous liver biopsy this AM; 2 cores, no "
        "hematoma. Plan: follow histology.",
        [],
    ),
    (
        "Dear Dr. [Referring physician],\nOn 10/27/2026 we performed an ultrasound-guided core "
        "biopsy of the segment 6 liver lesion; pathology returned HCC.",
        [],
    ),
    (
        "Left subtalar joint injection under fluoroscopy. The posterior facet is not reliably "
        "entered by landmarks in this post-ORIF foot. 22g needle advanced under intermittent "
        "fluoroscopy; contrast outlined the posterior facet.",
        ["77002"],
    ),
    # An excision is an operation: the surgeon's own ultrasound-guided block is its anaesthesia.
    (
        "PROCEDURE: Excision of ganglion cyst, R dorsal foot.\nDESCRIPTION: Block: with linear "
        "probe at the ankle the deep peroneal nerve was seen and 5 mL lidocaine placed "
        "perineurally under ultrasound guidance; the superficial peroneal nerve was identified and "
        "5 mL deposited. Blocks confirmed at 15 minutes. Cyst dissected to its stalk and excised.",
        [],
    ),
    # British and MSK words: an intercostal drain is a chest drain (32557, guidance included);
    # a glenohumeral hydrodilatation is a major joint injection (20611), not a muscle's.
    (
        "INTERCOSTAL DRAIN INSERTION - Seldinger\nIndication: R empyema.\nAseptic technique, 1% "
        "lidocaine. Under real-time US the introducer needle was advanced into the collection, "
        "pus aspirated. 14Fr drain placed over the wire.",
        [],
    ),
    (
        "Procedure: Hydrodilatation L glenohumeral joint\nInfraspinatus, posterior labrum and "
        "humeral head identified. 21G needle advanced in-plane into the posterior GH joint recess "
        "under direct sonographic guidance.",
        [],
    ),
    # The unit out of service, said at some length; stopped before local or any needle.
    (
        "ULTRASOUND-GUIDED RANDOM LIVER BIOPSY\nThe ultrasound unit in IR suite 2 was out of "
        "service this morning. 17G introducer advanced under intermittent CT; three cores.",
        ["77012"],
    ),
    (
        "Right hip intra-articular injection under fluoroscopic guidance. AP image obtained. "
        "Procedure ABORTED prior to local anesthetic or any needle placement.",
        [],
    ),
    # Guidance said outright not to have been used outweighs a macro's title.
    (
        "AC JOINT INJECTION UNDER FLUOROSCOPIC GUIDANCE\nProcedure: The right AC joint was "
        "palpable. Fluoroscopy was not utilized - C-arm unavailable. 25 g needle introduced "
        "into the joint; triamcinolone injected.\nCPT 20605-RT",
        [],
    ),
    ("Under fluoroscopy the right hip joint was injected. Ultrasound was not used.", ["77002"]),
    # A vertebroplasty includes the bone biopsy of its level, and both their guidance.
    (
        "Under biplane fluoroscopic guidance an 11 gauge trocar was advanced into the T12 "
        "vertebral body. Through the trocar, a bone biopsy needle obtained 2 cores. PMMA cement "
        "was then injected.\nIMPRESSION: 1. T12 bone biopsy. 2. T12 vertebroplasty.",
        [],
    ),
    ("CT-guided core biopsy of a left iliac bone lesion; two cores obtained.", ["77012"]),
    # Guidance another department provided and reports itself.
    (
        "Transplant kidney biopsy. Ultrasound guidance provided by Radiology, see separate "
        "radiology report. 18g gun, 2 cores from the upper pole.\nBilling (nephrology): 50200",
        [],
    ),
    # Stand-alone fluoroscopy: a lead or tube position checked, not a needle guided; a lead
    # lying in the epidural space is no epidural injection.
    (
        "Procedure: Fluoroscopic evaluation of spinal cord stimulator lead position (no needle).\n"
        "AP and lateral fluoroscopic images obtained by me. The left lead has migrated caudally; "
        "both leads remain dorsal in the epidural space. Fluoro time 0.3 min.\n76000",
        ["76000"],
    ),
    # A Baker's cyst is not the abscess or seroma of 10160: a coder decides (NL206).
    (
        "US guided aspiration of a right Baker cyst. Under real-time US an 18 g needle was "
        "placed into the cyst; 32 mL aspirated.",
        [],
    ),
    # Voice recognition's spelling.
    ("Under flora scopic guidance the right hip joint was injected with triamcinolone.", ["77002"]),
    # A block asked for by the surgeon of an operation is not that operation.
    (
        "Block type: Suprascapular nerve, single shot, RIGHT\nRequesting surgeon: [Surgeon] (R "
        "shoulder ORIF)\nNarrative: Linear probe in the suprascapular notch, suprascapular nerve "
        "identified. Needle advanced in plane, spread seen as LA injected.\n64418-RT",
        ["76942"],
    ),
    # A catheter's needle in plane is ultrasound's.
    (
        "Left ilioinguinal nerve block. 22g Tuohy advanced in plane, tip seen between the "
        "internal oblique and transversus abdominis.\nCharges: 64425-LT",
        ["76942"],
    ),
    # A consultant recounting the biopsy IR did this morning.
    (
        "Interval: Pt went for percutaneous liver biopsy this morning with IR (random core, "
        "US-guided, 18g x 2 per IR procedure note). Tolerated well.",
        [],
    ),
    # A wrapped line that starts with the acronym ending the sentence before it.
    (
        "PROCEDURE: R suprascapular nerve block, ultrasound-guided\nINDICATION: shoulder pain. "
        "Diagnostic block prior to suprascapular\nRFA.\nNeedle advanced in plane; tip visualized "
        "beneath the transverse ligament.\nCharges: 64418-RT, 76942",
        ["76942"],
    ),
    # Several procedures in one session: the guidance is the one its sentences speak of.
    (
        "Procedure(s):\n  1. C7-T1 interlaminar epidural steroid injection, fluoroscopic "
        "guidance\n  2. Trigger point injections x4 (bilat rhomboids)\n\nTPIs: taut bands "
        "identified by palpation and marked; 25 g needle, 2 mL bupivacaine each point.",
        [],
    ),
    (
        "1. Right hip intra-articular injection under fluoroscopy.\n2. Left L5-S1 "
        "transforaminal epidural steroid injection under fluoroscopy.",
        ["77002"],
    ),
    # British usage: the image intensifier is the fluoroscope, USS the ultrasound.
    ("Right hip joint injection under image intensifier control; contrast confirmed.", ["77002"]),
    ("USS-guided core biopsy of a left axillary lymph node; three cores taken.", ["76942"]),
    # An operation in the clinical details is history; an FNA of another lesion is not this one's.
    (
        "Clinical details: renal cell carcinoma (nephrectomy 2022).\nProcedure: CT guided core "
        "biopsy of a lytic lesion, right iliac bone; 2 cores taken.",
        ["77012"],
    ),
    (
        "Procedure: CT-guided core biopsy left adrenal mass and CT-guided FNA segment 7 liver "
        "lesion. 18G core needle x 3 passes.",
        ["77012"],
    ),
    # A C-arm out of service: the injection booked under fluoroscopy was done by landmarks.
    (
        "Scheduled: L hip intra-articular injection under fluoroscopy.\nC-arm out of service "
        "this AM. Landmark-based injection: 22g needle advanced to bone; triamcinolone "
        "injected. No fluoroscopy or ultrasound used.\n20610-LT",
        [],
    ),
    # Fluoroscopy put to a use, and its time recorded, in a terse macro.
    (
        "FLUORO TPI - QL\nFluoro AP used to ID 12th rib and L3 transverse process tips. 25g "
        "spinal advanced into QL; bupivacaine injected at 4 points. Fluoro time 0.6 min.\n"
        "Bill: 20553, 77002",
        ["77002"],
    ),
    # A kyphoplasty includes the bone biopsy of its level, reported or not; one of another
    # level is reported apart.
    (
        "PROCEDURE: L1 kyphoplasty with bone biopsy\nBilateral cannulas advanced under "
        "fluoroscopic guidance. A bone biopsy was obtained through the right cannula (2 cores). "
        "PMMA instilled.\nCharges: 22513, 20225, 77002",
        [],
    ),
    (
        "PROCEDURES:\n1. T11 vertebral body bone biopsy, fluoroscopically guided.\n2. L1 "
        "vertebroplasty, fluoroscopically guided.\nT11: an 11 G bone biopsy needle was advanced "
        "under biplane fluoroscopy; two cores obtained.",
        ["77002"],
    ),
    (
        "PROCEDURES:\n1. Balloon kyphoplasty, T12\n2. Percutaneous needle biopsy, L3 vertebral "
        "body (separate level)\nL3 biopsy: the right L3 pedicle was targeted on AP fluoroscopy; "
        "an 11g Jamshidi was advanced under lateral fluoroscopy, two cores.\nT12 kyphoplasty: "
        "balloon tamps inflated, PMMA instilled.",
        ["77002"],
    ),
    # An EHR list left unanswered offers its options; it says none of them was done.
    (
        'Percutaneous liver biopsy\nGuidance: {Blank single:19197::"US-guided"/"CT-guided"/'
        '"Landmark"}\nThe biopsy needle was advanced and 2 passes were made.\nBilling: 47000',
        [],
    ),
    # A heading no table lists that says it tells of the past, or a listed one with an aside.
    (
        'BONE MARROW BIOPSY\nPrior marrow (copied forward from 01/2024 note):\n"Posterior iliac '
        'crest biopsy performed under CT guidance due to body habitus."\nPROCEDURE: PSIS '
        "identified by palpation; 11G Jamshidi advanced into the iliac crest, core obtained.",
        [],
    ),
    (
        "IR CLINIC FOLLOW-UP\nPROCEDURE HISTORY (copied forward from procedure note, reviewed "
        "today):\nPercutaneous RF ablation of a 2.2 cm segment 6 HCC under real-time ultrasound "
        "guidance; gas cloud monitored.\nImaging today: MRI shows a non-enhancing ablation zone.",
        [],
    ),
    # An ablation stopped before its antenna went in takes no ablation guidance.
    (
        "CT-guided microwave ablation of liver lesion - ABORTED\nPlanning CT: the lesion was not "
        "visible. No antenna was placed, no ablation energy was delivered. Procedure terminated "
        "before any needle was introduced.",
        [],
    ),
    # Another device unavailable is not this one: fluoroscopy was used.
    (
        "Fluoroscopy-guided needle biopsy, left iliac bone lesion.\nFluoroscopy chosen: the lesion "
        "is well seen on fluoroscopy, and the CT suite was unavailable for 2 weeks.\nUnder "
        "fluoroscopy an 11G Jamshidi needle was advanced into the sclerotic area; two cores.",
        ["77002"],
    ),
    # A radiopaque marker laid over a foreign body on the skin is no localization device.
    (
        "EXAM: FLUOROSCOPY - FOREIGN BODY LOCALIZATION, LEFT HAND\nThe radiologist examined the "
        "hand under live fluoroscopy. A radiopaque skin marker was placed directly over the "
        "foreign body and the skin marked. Fluoroscopy time: 0.4 minutes. Spot images saved.\n"
        "CPT 76000",
        ["76000"],
    ),
    # Ethanol left in a cyst through the aspirating needle is the cyst's aspiration and injection
    # (60300), not tissue ablation, whatever the note calls it.
    (
        'Aspiration + percutaneous ethanol injection ("ethanol ablation") of recurrent L thyroid '
        "cyst.\nUnder real-time US an 18G needle was advanced into the cyst (tip seen centrally); "
        "18 mL aspirated, 2 mL ethanol instilled. Images saved.\n60300-LT, 76942",
        ["76942"],
    ),
    # CPT 2025's fascial plane blocks include their imaging (64473), and were unlisted before.
    (
        "PROCEDURE: Fascia iliaca compartment block, LEFT, ultrasound-guided\nLinear probe below "
        "the inguinal ligament; fascia iliaca identified; needle advanced in plane, spread seen "
        "beneath the fascia. Images saved.\nCharge: 64450-LT, 76942",
        [],
    ),
    # A block the note calls the anaesthesia for another procedure is part of it, whatever the
    # title says; a joint named to say where the nerve is ("proximal to the wrist crease") is no
    # target.
    (
        "Procedure: ultrasound-guided ulnar nerve block + closed reduction R 5th metacarpal fx\n"
        "Anesthesia for the reduction: US-guided ulnar nerve block, ulnar nerve identified ~5 cm "
        "proximal to wrist crease. 25 g needle in-plane, tip adjacent to nerve, 5 mL lidocaine "
        "injected. Image saved.\nBilling: 26605, 64450, 76942",
        [],
    ),
    # A lumbar puncture's ultrasound guidance is reported apart (ACEP); ultrasound that only
    # marked the skin guided nothing.
    (
        "Lumbar puncture, diagnostic, under real-time ultrasound guidance. 22 g Quincke needle "
        "inserted at L4-5 in-plane with the probe, tip followed into the thecal sac. Images of "
        "the interlaminar window saved.\nCPT 62270, 76942",
        ["76942"],
    ),
    (
        "Lumbar puncture. L4-5 interspace marked with ultrasound, then the needle was inserted by "
        "landmarks; clear CSF obtained.\nCPT 62270",
        [],
    ),
    # An attestation that leaves the procedure to the resident's note documents none itself.
    (
        "ATTENDING ATTESTATION\nRe: ultrasound-guided needle aspiration, L axillary abscess, "
        "performed by the resident. I was present for the ultrasound-guided aspiration.\nBilling "
        "per resident procedure note.",
        [],
    ),
    # One appended to a full procedure note, agreeing with it, leaves nothing out.
    (
        "Ultrasound-guided needle aspiration, left buttock abscess.\n18 g needle advanced in-plane "
        "under real-time US with the tip seen entering the collection; 5 mL pus aspirated. Image "
        "saved.\nATTENDING ATTESTATION: I agree with the findings and plan as documented in the "
        "resident's note.\nCPT 10160, 76942",
        ["76942"],
    ),
    # Several procedures, each stated with its own modality: the fluoroscopy is the epidural's,
    # the ultrasound the bursa's, and both codes include theirs.
    (
        "Procedures today:\n(1) L L4-5 transforaminal epidural steroid injection - fluoroscopy\n"
        "(2) L greater trochanteric bursa injection - ultrasound\n\n(1) Prone. Under fluoro, 22G "
        "spinal advanced to the subpedicular zone; contrast with epidural flow.\n(2) Curvilinear "
        "probe over the trochanter; 22G needle in plane into the bursa, image saved.\n"
        "64483-LT / 20611-LT",
        [],
    ),
    (
        "PROCEDURE NOTE\nProcedures:\n1. Left lumbar sympathetic block at L3, fluoroscopic "
        "guidance.\n2. Left knee intra-articular injection, ultrasound guidance.\n1. Under AP then "
        "oblique fluoroscopy a 22 G needle was advanced to the L3 body.\n2. 18 G needle placed "
        "in-plane under real-time ultrasound into the suprapatellar recess.\n"
        "Charges: 64520-LT, 77003, 20611-LT",
        ["77003"],
    ),
    # A year said after a procedure puts it in the past; one offered and declined is not done.
    (
        "PM&R clinic. Had CT-guided L4 bone biopsy in 2023 (benign hemangioma).\nToday: trigger "
        "point injections by palpation, 27g needle, 1 mL lidocaine each.\n20553",
        [],
    ),
    (
        "BILATERAL BREAST ULTRASOUND\nMultiple simple cysts, largest 2.4 cm at 3:00.\nComment: If "
        "the patient has a focally painful cyst (e.g. L 3:00), ultrasound-guided aspiration could "
        "be offered for symptom relief; she declined.\n76641-RT, 76641-LT",
        [],
    ),
    # One modality's attempt given up for another: the needle went in under the second.
    (
        "PROCEDURE: The procedure was booked as an ultrasound-guided liver biopsy; the dome lesion "
        "could not be identified sonographically. No needle was placed under ultrasound. The case was converted "
        "to CT guidance: an 18 G needle was advanced under CT into the lesion, tip confirmed on CT "
        "images; 3 cores.\nCPT 47000, 77012",
        ["77012"],
    ),
    # A condition and what would follow it is a plan, however long the condition.
    (
        "Subacromial bursa injection L shoulder (landmark), palpated, 40 mg Kenalog.\nIf no "
        "better in 6 wk -> GH joint inj under fluoro vs MRI arthrogram.\n20610-LT",
        [],
    ),
    # A node sampled by aspiration passes is an FNA, whatever the note calls it.
    (
        "Under ultrasound guidance, a 21 gauge needle was used to perform 5 aspiration passes of "
        "the right axillary node, for CytoLyt and cell block.\nIMPRESSION: US-guided biopsy of "
        "right axillary lymph node.\nBILLING: 38505, 76942",
        [],
    ),
    # Numbered items state procedures; cores counted are a core biopsy.
    (
        "Procedure note\n\n1) US guided core biopsy R breast 10:00 mass w/ clip\n2) US guided "
        "core biopsy R axillary node (level I)\n\nR axilla: 14G x 3 cores under US.",
        ["76942"],
    ),
    # An aside's negation ends with it.
    (
        "Core needle biopsy L thyroid nodule. 18G Temno advanced via lateral approach "
        "(trans-isthmic not possible) under continuous US. 3 cores obtained.",
        ["76942"],
    ),
    # Families whose code includes the guidance.
    ("Ultrasound-guided thyroid nodule biopsy, 25 gauge, four passes.", []),
    ("Right L5-S1 selective nerve root block under fluoroscopy.", []),
    ("Bilateral L4-5 facet joint injections under fluoroscopy.", []),
    ("Ultrasound-guided thoracentesis; 900 mL removed. Images saved.", []),
    ("PleurX catheter placed in the right pleural space under ultrasound guidance.", []),
    ("Under fluoroscopy, an 8 Fr nephrostomy tube was placed in the left kidney.", []),
    ("CT-guided core biopsy of a right upper lobe lung nodule.", []),
    ("Sacroplasty under fluoroscopy; cement injected into the sacral ala.", []),
    ("Lumbar puncture under fluoroscopy at L3-4; clear CSF obtained.", []),
    # Decoys: negated, historical, planned, templated, operative.
    ("No biopsy was performed. Ultrasound of the liver showed a cyst.", []),
    ("Prior ultrasound-guided liver biopsy in 2019 showed cirrhosis.", []),
    ("PLAN: will schedule CT-guided biopsy of the adrenal mass.", []),
    ("PROCEDURE: [***]\nUltrasound-guided [***] of the [***].", []),
    (
        "OPERATIVE NOTE: Open reduction and internal fixation of a left distal radius fracture. "
        "An incision was made. The fracture was reduced and a plate applied under C-arm "
        "fluoroscopy; local anesthetic was injected into the wrist joint.",
        [],
    ),
    (
        "PROCEDURE: Ultrasound-guided core biopsy, {{site}}\nTECHNIQUE: ___ passes, ___ gauge core needle.",
        [],
    ),
    (
        "Under intermittent CT fluoroscopic guidance, a coaxial needle was advanced into the "
        "left adrenal nodule; four cores were obtained.",
        ["77012"],
    ),
    # Two episodes: the paracentesis includes its guidance, the liver biopsy does not.
    (
        "PROCEDURES: Ultrasound-guided paracentesis. Ultrasound-guided core biopsy of a liver "
        "lesion in segment 6.",
        ["76942"],
    ),
    # Past procedures recounted by month or stay (a clinic letter) are history, not today's.
    (
        "She underwent an ultrasound-guided core biopsy of the lesion here in April, followed "
        "in May by CT-guided percutaneous microwave ablation of the tumor.",
        [],
    ),
    (
        "A pleural effusion was drained by ultrasound-guided thoracentesis during that admission.",
        [],
    ),
    # The organ not named: a core biopsy takes its guidance apart; a template that leaves
    # blanks where it names the procedure is not filled in, so nothing is suggested.
    ("CT GUIDED BIOPSY\nUnder CT guidance, a core biopsy of the mass was performed.", ["77012"]),
    # A visit booked for a procedure the patient declined; another team's block; an operative
    # note's C-arm (part of the surgery).
    (
        "Pt was scheduled today for fluoroscopically guided right glenohumeral steroid "
        "injection. After discussion, the patient declined the injection. No procedure "
        "performed.",
        [],
    ),
    (
        "Procedure: Right arthroscopic rotator cuff repair.\nAnesthesia: General + interscalene "
        "block (performed preoperatively by the anesthesiology team under ultrasound guidance; "
        "see separate anesthesia note).",
        [],
    ),
    (
        "PODIATRIC SURGERY - OPERATIVE NOTE\nProcedure: Right first metatarsal bunionectomy "
        "with screw fixation.\nMini C-arm fluoroscopy was used intraoperatively to confirm "
        "osteotomy position. Images saved.",
        [],
    ),
    (
        "OPERATIVE REPORT\nPROCEDURE: Left total hip arthroplasty, direct anterior approach.\n"
        "Intraoperative fluoroscopy (C-arm) was used to confirm cup inclination.",
        [],
    ),
    # An "operative note" of an injection under a C-arm is no operation; a block for analgesia
    # after an arthroplasty is not the arthroplasty.
    (
        "OPERATIVE NOTE (ASC)\nProcedure: Injection, left hip joint, under C-arm.\nNeedle "
        "directed onto the femoral neck under intermittent fluoroscopy; bupivacaine and "
        "Depo-Medrol injected.",
        ["77002"],
    ),
    (
        "Addendum: right obturator nerve block for analgesia after right total knee arthroplasty. "
        "The block was performed under real-time ultrasound guidance; the needle was advanced "
        "in-plane to the obturator nerve and bupivacaine injected.",
        ["76942"],
    ),
    # The in-plane technique is ultrasound's; a thyroid "biopsy" by FNA technique is no core
    # biopsy, whatever the coding line says.
    (
        "Block: R greater occipital nerve.\nUS (linear 13-6 MHz): nerve identified over the "
        "obliquus capitis inferior. 25G block needle in plane, tip visualized adjacent to the "
        "nerve; bupivacaine injected.",
        ["76942"],
    ),
    (
        "US GUIDED THYROID BIOPSY\nUnder ultrasound guidance, four passes were made into the "
        "left thyroid nodule with 25-gauge needles, capillary technique; slides prepared. "
        "Cytotech on site reports adequate cells.\nCPT: 60100, 76942",
        [],
    ),
    # The coding line says 10160; the narrative left a drain (its code includes guidance).
    (
        "Under real-time ultrasound guidance an 18G needle was advanced into the thigh "
        "collection and pus aspirated. A 10 Fr pigtail catheter was then placed and left to "
        "gravity drainage.\nCPT: 10160, 76942",
        [],
    ),
    # Vocabulary other authors use: SASD bursa, A1 pulley, "asp" of a "coll".
    (
        "Procedure: Left shoulder SASD bursa injection. Transducer in long axis to the "
        "supraspinatus; needle advanced under direct ultrasound visualization into the bursa "
        "and triamcinolone injected.",
        [],
    ),
    (
        "Procedure: US-guided injection, R ring finger A1 pulley / flexor tendon sheath. 27G "
        "needle advanced under continuous US guidance into the tendon sheath.",
        ["76942"],
    ),
    (
        "Proc: US-guided asp, R abd wall fluid coll, 18G. Needle advanced under real-time US "
        "into the coll; 38 mL purulent fluid aspirated; no catheter left.",
        ["76942"],
    ),
    # Guidance written as a field, or as real-time imaging; an earlier operation is history.
    (
        "Procedure: Trigger point injections, 3 muscles.\nGuidance: Ultrasound. US used to keep "
        "the needle tip within the muscle above the pleura.\nEach trigger point visualized; 25g "
        "needle advanced in-plane.",
        ["76942"],
    ),
    (
        "Block: Right interscalene brachial plexus block.\nReal-time ultrasound imaging "
        "identified the C5 and C6 roots; a 22G needle was advanced in-plane and 15 mL "
        "levobupivacaine injected.",
        [],  # 64415 includes its imaging guidance
    ),
    (
        "CT-Guided Microwave Ablation - Liver\nSolitary segment 7 metastasis, post-hepatectomy "
        "recurrence.\n15G microwave antenna advanced under intermittent CT fluoroscopy into the "
        "lesion. Ablation 100 W x 6 min.",
        ["77013"],
    ),
    (
        "CT GUIDED BIOPSY\nProcedure: CT-guided percutaneous biopsy of ***.\n"
        "Under CT guidance, *** core samples were obtained.",
        [],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_guidance_codes_follow_the_documented_family(
    kb: KnowledgeBase, text: str, expected: list[str]
) -> None:
    assert _guidance(analyze(text, kb)) == expected


def test_an_unknown_primary_is_checked_not_coded(kb: KnowledgeBase) -> None:
    text = (
        "PROCEDURE: Ultrasound-guided sclerotherapy of a neck lymphatic malformation.\n"
        "Under ultrasound a needle was placed in the malformation and doxycycline instilled.\n"
        "CPT: 37241"
    )
    report = analyze(text, kb)
    assert _guidance(report) == []
    assert [u.modality for u in report.unresolved] == ["ultrasound"]
    assert "NL206" in _rules(report) and "NL202" not in _rules(report)
    nl206 = next(f for f in report.findings if f.rule == "NL206")
    assert nl206.severity.label == "information" and not nl206.fixes


def test_a_reported_code_for_an_included_family_names_the_family(kb: KnowledgeBase) -> None:
    text = "Ultrasound-guided thoracentesis, right; 1 L removed. Images saved.\nCPT: 32555, 76942"
    report = analyze(text, kb)
    nl301 = next(f for f in report.findings if f.rule == "NL301")
    assert "thoracentesis" in nl301.message and nl301.code == "76942"


def test_the_wrong_fluoroscopy_code_is_replaced(kb: KnowledgeBase) -> None:
    text = "Stellate ganglion block under fluoroscopy.\nCPT: 64510, 77002"
    report = analyze(text, kb)
    nl204 = next(f for f in report.findings if f.rule == "NL204")
    assert "77003" in nl204.message
    assert nl204.fixes[0].edits[0].new_text == "77003"
    assert "NL202" not in _rules(report)  # the replacement says it already


def test_with_imaging_primaries_need_saved_images(kb: KnowledgeBase) -> None:
    saved = analyze("Ultrasound-guided right knee aspiration. Images saved to PACS.", kb)
    unsaved = analyze("Ultrasound-guided right knee aspiration.", kb)
    assert [s.code for s in saved.suggested] == ["20611"]
    assert [s.code for s in unsaved.suggested] == ["20610"]


def test_skin_marking_before_a_bedside_tap_is_not_guidance(kb: KnowledgeBase) -> None:
    text = (
        "Bedside thoracentesis. The effusion was identified and the site was marked with "
        "ultrasound. A catheter was then advanced into the pleural space; 800 mL removed."
    )
    # The marking phrase governs the modality it shares a word with ("marked with ultrasound"):
    # no guidance is documented, so neither a guidance code nor the with-imaging tap is offered.
    suggested = [s.code for s in analyze(text, kb).suggested]
    assert not {"76942", "32555"} & set(suggested)
    guided = text.replace("marked with", "punctured under") + " Images saved."
    assert "32555" in [s.code for s in analyze(guided, kb).suggested]


def test_arthrography_fluoroscopy_is_separate_only_before_ct_or_mr(kb: KnowledgeBase) -> None:
    mr = "Right shoulder arthrogram under fluoroscopy, followed by MR arthrography."
    conventional = "Right shoulder arthrogram under fluoroscopy; spot radiographs obtained."
    assert _guidance(analyze(mr, kb)) == ["77002"]
    assert _guidance(analyze(conventional, kb)) == []


def test_open_liver_ablation_keeps_its_ultrasound_guidance(kb: KnowledgeBase) -> None:
    text = (
        "Laparoscopic microwave ablation of a segment 6 liver tumor. Trocars were placed. "
        "Under intra-operative ultrasound guidance the antenna was placed and the ablation "
        "zone was monitored."
    )
    assert _guidance(analyze(text, kb)) == ["76940"]


def test_stand_alone_fluoroscopy_reported_is_checked_for_presence_and_time(
    kb: KnowledgeBase,
) -> None:
    text = "Fluoroscopy of the right shoulder for a calcific body.\nCPT: 76000"
    rules = _rules(analyze(text, kb))
    assert {"NL106", "NL107"} <= rules and "NL201" not in rules


def test_ablation_guidance_is_not_an_add_on(kb: KnowledgeBase) -> None:
    text = (
        "Laparoscopic radiofrequency ablation of a liver tumor under ultrasound guidance.\n"
        "CPT: 47370, 76940"
    )
    assert "NL203" not in _rules(analyze(text, kb))


def test_unlisted_fluoroscopy_is_not_redirected_when_the_primary_includes_it(
    kb: KnowledgeBase,
) -> None:
    text = "Under fluoroscopy, a 10 Fr nephrostomy tube was placed.\nCPT: 50432, 76496"
    rules = _rules(analyze(text, kb))
    assert "NL301" in rules and "NL205" not in rules


def test_a_reported_code_the_knowledge_base_lacks_is_said_to_be_unchecked(
    kb: KnowledgeBase,
) -> None:
    report = analyze("Knee injection by palpation.\nCPT: 20610, 99213", kb)
    assert [f.code for f in report.findings if f.rule == "NL207"] == ["99213"]


def test_every_family_cites_a_source_and_says_whether_it_was_verified(kb: KnowledgeBase) -> None:
    for family_id, family in kb.families.items():
        assert family.citation.authority and family.citation.passage, family_id
        assert family.verified or family.verified_note, family_id


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CPT: 76942-26-TC", [("TC", "26")]),
        ("CPT: 20610-LT-RT", [("RT", "LT")]),
        ("CPT: 20610-RT", []),
    ],
)
def test_a_modifier_contradiction_is_reported_once(
    line: str, expected: list[tuple[str, str]], kb: KnowledgeBase
) -> None:
    report = analyze(f"Right knee injection under ultrasound guidance.\n{line}\n", kb)
    found = [f for f in report.findings if f.rule == "NL703"]
    assert [tuple(re.findall(r"-(\w\w)\b", f.message)) for f in found] == expected


def test_a_transjugular_liver_biopsy_is_not_the_percutaneous_one(kb: KnowledgeBase) -> None:
    """37200/75970 include the fluoroscopy; neither 47000's guidance codes may be suggested
    (the vascular access codes are judged apart, by their own family)."""
    report = analyze(
        "PROCEDURE: Transjugular liver biopsy.\nRight internal jugular vein accessed under "
        "real-time ultrasound. Four cores obtained from the right lobe under fluoroscopic "
        "guidance.\nCPT: 37200, 75970, 77002",
        kb,
    )
    assert not {"76942", "77002", "77012"} & {s.code for s in report.suggested}


@pytest.mark.parametrize(
    "heading", ["Previous note: (10/21/2026)", "PRIOR NOTE", "Copied forward:"]
)
def test_a_copy_of_an_earlier_note_documents_nothing_done_today(
    heading: str, kb: KnowledgeBase
) -> None:
    """Everything below a copied earlier note's heading, its own headings too, happened then."""
    earlier = (
        "Procedure: US-guided injection R first dorsal compartment. Linear probe, 27g needle "
        "in-plane, tip visualized within the sheath. Image saved."
    )
    today = "Follow-up: symptoms improved since injection 6 weeks ago. No injection today.\n\n"
    assert _guidance(analyze(today + f"{heading}\n{earlier}\n", kb)) == []
    assert _guidance(analyze(today + earlier.replace("R first", "L first"), kb)) == ["76942"]


def test_stand_alone_fluoroscopy_is_not_billed_with_a_tube_study_that_includes_it(
    kb: KnowledgeBase,
) -> None:
    report = analyze(
        "G-TUBE CHECK\nUnder fluoroscopy, 20 mL water-soluble contrast injected through the "
        "existing gastrostomy tube; contrast opacifies the gastric lumen. Fluoro 0.5 min. "
        "2 images saved.\nBilling: 76000\n",
        kb,
    )
    assert "NL301" in _rules(report) and "76000" not in _guidance(report)


def test_stand_alone_fluoroscopy_with_presence_and_time_documented(kb: KnowledgeBase) -> None:
    report = analyze(
        "Fluoroscopy of the abdomen to localize a swallowed coin, radiologist present "
        "throughout. Fluoro 0.4 min. Image saved. Impression: coin in the stomach.\nCPT 76000\n",
        kb,
    )
    assert _rules(report).isdisjoint({"NL106", "NL107", "NL301"})


@pytest.mark.parametrize(
    ("sentence", "element"),
    [
        ("Serial CT: ice ball grows to 3.9 cm and covers the mass.", "ablation_monitoring"),
        (
            "CT at 3, 6 and 10 minutes of each freeze shows the ice ball enlarging to 4.6 cm.",
            "ablation_monitoring",
        ),
        ("Contrast CT after probe removal: no hemorrhage.", "post_procedure_imaging"),
        ("The vein remained patent on Doppler after ablation.", "post_procedure_imaging"),
        ("Post CT (noncon): small perinephric hematoma, expected.", "post_procedure_imaging"),
        ("Contrast CT: no enhancement in the ablation zone, no urinoma.", "post_procedure_imaging"),
        ("Post-ablation color Doppler showed no perinephric hematoma.", "post_procedure_imaging"),
        ("Images sent to the radiation oncology planning system and PACS.", "permanent_images"),
        ("The lesion is not well seen on ultrasound, so CT guidance chosen.", "necessity"),
        ("Spot fluoroscopic images obtained.", "permanent_images"),
    ],
)
def test_documentation_elements_in_other_words(
    sentence: str, element: str, kb: KnowledgeBase
) -> None:
    saved = "" if element == "permanent_images" else " Images archived to PACS."
    procedure = "core biopsy" if element == "necessity" else "cryoablation"
    text = f"CT-guided {procedure} of a 3 cm left renal mass.{saved}\n{sentence}"
    missing = {f.element for f in analyze(text, kb).findings if f.element}
    assert element not in missing
    assert element in {f.element for f in analyze(text.replace(sentence, ""), kb).findings}


@pytest.mark.parametrize(
    "sentence",
    ["Radiologist performed the entire exam.", "Performed and interpreted by the radiologist."],
)
def test_who_performed_stand_alone_fluoroscopy_says_the_physician_was_there(
    sentence: str, kb: KnowledgeBase
) -> None:
    text = (
        "FLUOROSCOPY CHEST - SNIFF TEST\nReal-time fluoroscopy of the chest during sniffing; "
        "cine loops archived. Fluoroscopy time: 1.2 minutes.\n"
    )
    missing = {f.element for f in analyze(text, kb).findings}
    assert "physician_presence" in missing
    assert "physician_presence" not in {f.element for f in analyze(text + sentence, kb).findings}


@pytest.mark.parametrize(
    ("header", "billing", "expected"),
    [
        ("Date of service: 12/09/2025", "", ["76942"]),  # the 2025 code set: 55700 + 76942
        ("Date of service: 04/22/2026", "", []),  # 2026: the biopsy codes include imaging
        ("DOS: 2026-01-05", "", []),
        ("", "", ["76942"]),  # undated: as the family's guidance says
        ("", "\nCharges: 55707, 76942", []),  # a 2026 code reported: the revision applies
    ],
)
def test_a_code_set_revision_applies_from_its_year(
    header: str, billing: str, expected: list[str], kb: KnowledgeBase
) -> None:
    text = f"{header}\nTRUS-guided transrectal prostate biopsy, 12 cores obtained.{billing}"
    report = analyze(text, kb)
    assert _guidance(report) == expected
    if billing:
        assert "NL301" in _rules(report)  # the reported 76942 is part of the biopsy code


def test_a_code_set_revision_is_explained_with_its_citation(kb: KnowledgeBase) -> None:
    text = family_text(kb, "prostate_biopsy")
    revision = kb.families["prostate_biopsy"].included_from
    assert revision is not None and "From 2026 on" in text
    assert revision.citation.url in text and revision.citation.passage in text


def test_a_plexus_neurolysis_does_not_rule_out_ct_guidance_as_a_facet_neurotomy_would(
    kb: KnowledgeBase,
) -> None:
    # 64633-64636 include their imaging; a celiac plexus neurolysis (64680) is not known to.
    text = (
        "CT-GUIDED CELIAC PLEXUS NEUROLYSIS\nUnder intermittent CT guidance two 22-gauge needles "
        "were advanced anterolateral to the aorta; 30 mL dehydrated alcohol injected.\n"
        "64680, 77012"
    )
    assert "NL201" not in _rules(analyze(text, kb))
    facet = analyze(
        "Lumbar medial branch radiofrequency neurotomy L4-5 under CT guidance.\n64635, 77012", kb
    )
    unsupported = [f for f in facet.findings if f.rule == "NL201"]
    assert unsupported and "the note documents" in unsupported[0].message
    assert "which rules it out" in unsupported[0].message
