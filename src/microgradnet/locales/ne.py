"""नेपाली (Nepali): every sentence microgradnet writes, by section, translated.

The vocabulary follows the Nepali translation of the lesson this project teaches from
(microsoft/AI-For-Beginners, translations/ne, 3-NeuralNetworks/04-OwnFramework): technical terms
are written as Nepali speakers say them (ग्रेडियन्ट, डेरिभेटिभ, ब्याकप्रोपोगेसन, फर्वार्ड पास),
mathematics stays in its usual notation (∂L/∂a, ·, →), and numbers keep Western digits and the
decimal point, as the lesson's translation does. A review by a native-speaking teacher is
welcome: change a value here, keep every ``{placeholder}``.
"""

from __future__ import annotations

#: The script, so pages embed a Devanagari font (microgradnet.locales.font_face_css).
SCRIPT = "Devanagari"

TABLES: dict[str, dict[str, str]] = {
    # viz.strings.STRINGS: the terminal trace, narration, picture labels
    "strings": {
        "forward_header": "फर्वार्ड पास (गणनाको क्रममा):",
        "backward_header": "ब्याकवार्ड पास (प्रत्येक किनाराको एक लाइन), सुरुवात ∂{root}/∂{root} = {seed}:",
        "leaf_line": "{name} = {data}",
        "op_line": "{name} = {expr} = {data}",
        "event_line": "∂{root}/∂{operand} += ∂{node}/∂{operand} · ∂{root}/∂{node} = {local} · ({upstream}) = "
        "{contribution};  {operand}.grad {before} → {after}",
        "event_final": "  (अन्तिम)",
        "local_named": "({formula} = {value})",
        "local_plain": "({value})",
        "ledger": "{operand}.grad = {terms} = {total}",
        "ledger_term": "({value}, {node} बाट)",
        "ledger_start": "({value} पहिले नै थियो)",
        "start_line": "{name}.grad {grad} बाट सुरु हुन्छ, जुन ग्रेडियन्ट यसमा पहिले नै छ (लीफ नोडहरूमा जम्मा हुँदै जान्छ)",
        "grads_header": "ग्रेडियन्टहरू:",
        "grad_line": "∂{root}/∂{name} = {grad}",
        "narrate_pass": "{op} गेटले अपस्ट्रिम ग्रेडियन्ट {upstream} लाई नबदली {operand} मा पठाउँछ",
        "narrate_negate": "{op} गेटले अपस्ट्रिम ग्रेडियन्टको उल्टो चिह्न, {contribution}, {operand} मा पठाउँछ",
        "narrate_swap": "{op} गेटले इनपुटहरू साट्छ: {operand} ले अपस्ट्रिम ग्रेडियन्ट {upstream} लाई अर्को इनपुट "
        "{other} ले गुणन गरेर पाउँछ, जुन {contribution} हो",
        "narrate_route_open": "{op} गेट खुला छ (यसको इनपुट धनात्मक छ), त्यसैले {operand} ले अपस्ट्रिम ग्रेडियन्ट "
        "{upstream} पाउँछ",
        "narrate_route_closed": "{op} गेट बन्द छ (यसको इनपुट धनात्मक छैन), त्यसैले {operand} ले 0 पाउँछ",
        "narrate_local": "{op} गेटले अपस्ट्रिम ग्रेडियन्ट {upstream} लाई आफ्नो स्थानीय डेरिभेटिभ {formula} = "
        "{local} ले गुणन गर्छ र {contribution} लाई {operand} मा पठाउँछ",
        "narrate_scale": "{op} गेटले अपस्ट्रिम ग्रेडियन्ट {upstream} लाई {local} ले मापन गर्छ र {contribution} लाई "
        "{operand} मा पठाउँछ",
        "narrate_stop": "{op} गेटले ग्रेडियन्ट रोक्छ: {operand} ले 0 पाउँछ",
        "narrate_pending": "; {operand} ले अझै {remaining} वटा योगदान पर्खिरहेको छ",
        "narrate_final_fanout": "; यो यसका {count} वटा योगदानमध्ये अन्तिम थियो, त्यसैले {operand}.grad = {after} "
        "अन्तिम हो",
        "data": "मान",
        "grad": "ग्रेडियन्ट",
        "role_input": "इनपुट",
        "role_parameter": "प्यारामिटर",
        "role_intermediate": "बिचको नोड",
        "role_output": "आउटपुट",
        "box_size": "प्यारामिटर {parameters}, नोड {nodes}",
        "box_more": "… अझै {k} वटा",
        "group_neuron": "तह {layer} · न्युरोन {row}",
        "forward_step": "फर्वार्ड: {name} = {data}",
        "slide_title": "{root} = {expr} मार्फत ब्याकप्रोपोगेसन",
        "slide_counter": "{n} मध्ये चरण {k} · {phase}",
        "slide_forward": "फर्वार्ड पास",
        "slide_backward": "ब्याकवार्ड पास",
        "backward_seed": "ब्याकवार्ड: सुरुवात ∂{root}/∂{root} = {seed}",
    },
    # viz.html.PAGE_STRINGS: the stepper page
    "page": {
        "title": "{root} = {expr} मार्फत ब्याकप्रोपोगेसन",
        "phase_forward": "फर्वार्ड पास",
        "phase_backward": "ब्याकवार्ड पास",
        "phase_done": "सम्पन्न",
        "inputs_title": "फर्वार्ड पास: इनपुटहरू",
        "inputs_narration": "फर्वार्ड पास इनपुटहरूबाट सुरु हुन्छ: {values}।",
        "no_inputs_narration": "फर्वार्ड पास ग्राफका पातहरूबाट सुरु हुन्छ।",
        "forward_title": "फर्वार्ड पास: {name} गणना गर्नुहोस्",
        "forward_narration": "{name} = {expr} = {numbers} = {value}।",
        "seed_title": "ब्याकवार्ड पास: सुरुवात",
        "seed_narration": "ब्याकवार्ड पास आउटपुटबाट सुरु हुन्छ: ∂{root}/∂{root} = {seed}। बाँकी हरेक ग्रेडियन्ट "
        "0 बाट सुरु हुन्छ र यसका सबै योगदान नआउन्जेल बाँकी रहन्छ।",
        "edge_title": "ब्याकवार्ड पास, {total} मध्ये किनारा {k}: {node} → {operand}",
        "done_title": "सम्पन्न: हरेक ग्रेडियन्ट अन्तिम भयो",
        "done_narration": "ब्याकप्रोपोगेसन पूरा भयो: {grads}।",
        "numeric_check": "जाँच, हरेक इनपुटलाई ±h ले सारेर:   {estimates}",
        "numeric_agrees": "हरेक इनपुटलाई अलिकति सारेर फर्वार्ड पास फेरि चलाउँदा उही ढलानहरू आउँछन् (केन्द्रीय "
        "अन्तर): चेन नियमले तिनलाई सही निकाल्यो।",
        "numeric_differs": "हरेक इनपुटलाई अलिकति सारेर फर्वार्ड पास फेरि चलाउँदा देखाइएका ढलानहरू आउँछन्; जहाँ "
        "कुनै ब्याकप्रोपभन्दा फरक छ, त्यहाँ फलनमा मोड वा अपरिमित मान छ।",
        "pending_mark": "…",
        "final_mark": "(अन्तिम)",
        "pending_more": "(बाँकी: अझै {k} वटा आउन बाँकी)",
        "waiting": "(अझै {k} वटा पर्खंदै)",
        "waiting_term": "(?, {node} बाट)",
        "unknown": "?",
        "play": "▶ चलाउनुहोस्",
        "pause": "⏸ रोक्नुहोस्",
        "first": "⇤ पहिलो",
        "prev": "◀ पछाडि",
        "next": "अगाडि ▶",
        "last": "अन्तिम ⇥",
        "button_projector": "प्रोजेक्टर",
        "button_follow": "पछ्याउनुहोस्",
        "button_whole": "पूरै ग्राफ",
        "button_quiz": "प्रश्नोत्तरी",
        "quiz_prompt": "तपाईंको पालो: {ask} कति हो? टाइप गरेर Enter थिच्नुहोस्, वा उत्तर हेर्न → थिच्नुहोस्।",
        "quiz_label": "{ask} =",
        "quiz_check": "जाँच्नुहोस्",
        "quiz_show": "उत्तर देखाउनुहोस्",
        "quiz_right": "सही: {ask} = {answer}।",
        "quiz_wrong": "मिलेन: {typed} चाहिँ {ask} होइन। {hint}फेरि प्रयास गर्नुहोस्, वा उत्तर हेर्नुहोस्।",
        "quiz_unreadable": "“{typed}” मैले पढ्न सक्ने सङ्ख्या होइन; -4, 0.5, 3/4 वा (-3)*(-2) जस्तो सङ्ख्या टाइप "
        "गर्नुहोस्।",
        "quiz_revealed": "उत्तर: {ask} = {answer}।",
        "quiz_score": "अङ्क: {asked} मध्ये {right} पहिलो प्रयासमै सही।",
        "hint_contribution": "त्यो यस किनाराको योगदान हो; यसलाई {operand}.grad मा पहिले भएको मान ({before}) मा "
        "जोड्नुहोस्। ",
        "hint_local": "त्यो स्थानीय डेरिभेटिभ ∂{node}/∂{operand} हो; यसलाई अपस्ट्रिम ग्रेडियन्ट ∂{root}/∂{node} = "
        "{upstream} ले गुणन गर्नुहोस्। ",
        "hint_upstream": "त्यो अपस्ट्रिम ग्रेडियन्ट ∂{root}/∂{node} हो; यसलाई स्थानीय डेरिभेटिभ ∂{node}/∂{operand} "
        "= {formula} ले गुणन गर्नुहोस्। ",
        "hint_sign": "चिह्न जाँच्नुहोस्। ",
        "theme_cs231n": "CS231n रङहरू",
        "theme_colorblind": "रङ-अन्धोपनका लागि सुरक्षित",
        "ledger_heading": "जोडिने ग्रेडियन्टहरू (फ्यान-आउट)",
        "all_steps": "सबै चरणहरू",
        "legend": "{data_word} = फर्वार्ड मान, {grad_word} = ग्रेडियन्ट ∂{root}/∂नोड; धर्का भएको बाकस र "
        "{pending} को अर्थ ग्रेडियन्ट अझै बाँकी छ; {pending} बिनाको ठोस रातो बाकसको अर्थ त्यो अन्तिम हो।",
        "help": "कुञ्जीहरू: ← → चरण · Space चलाउने/रोक्ने · Home/End पहिलो/अन्तिम · P प्रोजेक्टर · C रङ · Z "
        "चरण पछ्याउने / रोकिने · + − जुम · 0 पूरै ग्राफ · ⇧+तीर वा तान्नुहोस्: सार्ने · 1 2 3 स्केलर / न्युरोन / "
        "तह · E बाकस खोल्ने वा बन्द गर्ने · Q प्रश्नोत्तरी",
        "graph_label": "{root} को कम्प्युटेसनल ग्राफ",
        "seed_narration_held": "ब्याकवार्ड पास आउटपुटबाट सुरु हुन्छ: ∂{root}/∂{root} = {seed}। ब्याकवार्ड() "
        "फङ्सनले जस्तै, अरू नोडहरू 0 बाट सुरु हुन्छन्, तर पातहरूले आफूसँग पहिले नै भएको ग्रेडियन्ट राख्छन् र त्यसमा "
        "जोड्छन्: {held}। हरेक ग्रेडियन्ट यसका सबै योगदान नआउन्जेल बाँकी रहन्छ।",
        "numeric_check_some": "जाँच, {n} पातमध्ये {k} लाई ±h ले सारेर:   {estimates}",
        "more_terms": "+ … अझै {k} वटा",
        "more_count": "… अझै {k} वटा",
        "inputs_list": "{k} वटा इनपुट",
        "parameters_list": "{k} वटा प्यारामिटर",
        "leaves_shown": "{what}, {shown} वटा देखाइएको: {values}",
        "more": "थप…",
        "less": "कम",
        "level_scalar": "स्केलरहरू",
        "level_neuron": "न्युरोनहरू",
        "level_layer": "तहहरू",
        "level_label": "विवरण",
        "expand": "बाकस खोल्न त्यसमा क्लिक गर्नुहोस् (E ले हालको बाकस खोल्छ); बन्द गर्न त्यसको फ्रेममा क्लिक गर्नुहोस्।",
        "collapse_group": "{name} बन्द गर्नुहोस्",
        "quiz_not_here": "(पूरै न्युरोन वा तहमा प्रश्न छैन: प्रश्न सोधिन बाकस खोल्नुहोस्)",
        "minimap_label": "पूरै ग्राफको रूपरेखा; फ्रेमले चित्रमा देखिएको भाग देखाउँछ",
        "counter": "{n} मध्ये चरण {k}",
        "layer_name": "तह {name}",
        "neuron_name": "तह {layer} · न्युरोन {row}",
        "sample": "{name} · नमुना {k}",
        "box_data": "मान {values}",
        "box_grad": "ग्रेडियन्ट {values}",
        "block_forward_title": "फर्वार्ड पास: {box}",
        "block_backward_title": "ब्याकवार्ड पास: {box}",
        "block_forward_narration": "{box} ले आफ्ना {n} वटा आउटपुट एकैपटक गणना गर्छ: z = W·x + b, अनि "
        "h = {act}(z), आफ्नो इनपुट x बाट ({k} वटा स्केलर अपरेसनका लागि एउटै चरण)।",
        "block_forward_narration_linear": "{box} ले आफ्नो इनपुट x बाट z = W·x + b एकैपटक गणना गर्छ ({k} वटा स्केलर "
        "अपरेसनका लागि एउटै चरण); यसमा एक्टिभेसन छैन।",
        "block_backward_narration": "{box} ले आफ्ना सबै {edges} वटा किनाराबाट एकैपटक ग्रेडियन्ट पछाडि पठाउँछ, पाठको "
        "लिनियर तहको ब्याकवार्डले जस्तै: हरेक तौलले आफ्नो पङ्क्तिको δ गुणा आफ्नो स्तम्भको इनपुट पाउँछ (dW = δ·xᵀ), "
        "हरेक बायसले δ, हरेक इनपुटले Wᵀ·δ ({rows} वटा पङ्क्तिको योग)। W.grad र b.grad ले यो अंश आफूसँग भएकोमा "
        "जोड्छन्। कुनै सङ्ख्या कुन किनाराबाट आयो हेर्न त्यसमा क्लिक गर्नुहोस्।",
        "block_generic_narration": "{box} ले आफ्ना {edges} वटा किनाराबाट एकैपटक ग्रेडियन्ट पछाडि पठाउँछ (एक-एक गरी "
        "हेर्न बाकस खोल्नुहोस्)।",
        "vector_upstream": "g = ∂{root}/∂h = {values}",
        "vector_delta": "δ = ∂{root}/∂z = g ⊙ {formula} = {values}",
        "vector_delta_linear": "δ = ∂{root}/∂z = g = {values}",
        "vector_input": "x = {values}",
        "vector_z": "z = W · x + b = {values}",
        "vector_h": "h = {act}(z) = {values}",
        "vector_dw": "dW = δ · xᵀ",
        "vector_db": "db = δ = {values}",
        "vector_dx": "dx = Wᵀ · δ = {values}",
        "vector_dw_neuron": "dw = δ · x",
        "vector_dx_neuron": "dx = δ · w = {values}",
        "block_backward_narration_neuron": "{box} ले आफ्ना सबै {edges} वटा किनाराबाट एकैपटक ग्रेडियन्ट पछाडि "
        "पठाउँछ: हरेक तौलले δ गुणा आफ्नो इनपुट पाउँछ (dw = δ·x), बायसले δ, हरेक इनपुटले δ गुणा आफ्नो तौल (dx = δ·w)। "
        "w.grad र b.grad ले यो अंश आफूसँग भएकोमा जोड्छन्। कुनै सङ्ख्या कुन किनाराबाट आयो हेर्न त्यसमा क्लिक "
        "गर्नुहोस्।",
        "vector_generic_in": "{name} लाई: {value}",
        "matrix_note": "{rows}×{cols}, {shown_rows}×{shown_cols} देखाइएको",
        "link_title": "किनारा {node} → {operand}, चरण {step}: खोल्न क्लिक गर्नुहोस्",
        "narration_sentence": "{sentence}।",
        "controls_label": "स्टेपरका नियन्त्रणहरू",
        "aria_first": "पहिलो चरण (Home)",
        "aria_prev": "अघिल्लो चरण (बायाँ तीर)",
        "aria_play": "चलाउने वा रोक्ने (Space)",
        "aria_next": "अर्को चरण (दायाँ तीर)",
        "aria_last": "अन्तिम चरण (End)",
        "aria_quiz": "प्रश्नोत्तरी: हरेक नतिजा देखाउनुअघि टाइप गर्नुहोस् (Q)",
        "aria_follow": "हालको चरण पछ्याउनुहोस् (Z)",
        "aria_whole": "पूरै ग्राफ देखाउनुहोस् (0)",
        "aria_projector": "प्रोजेक्टर मोड (P)",
        "theme_label": "रङहरू",
        "slider_label": "चरण",
        "slider_text": "{n} मध्ये चरण {k}: {title}",
        "find_title": "गल्ती पत्ता लगाउनुहोस्: {title}",
        "find_intro": "यो ब्याकवार्ड पासको एउटा किनारा गलत गणना गरिएको छ। चरणहरू हेर्दै जानुहोस् र पहिलो गलत "
        "किनारामा चिह्न लगाउनुहोस्: त्यसको चरणमा M वा बटन थिच्नुहोस्।",
        "find_mark": "✗ पहिलो गलत किनारा",
        "aria_mark": "यो किनारालाई पहिलो गलत किनाराका रूपमा चिह्न लगाउनुहोस् (M)",
        "find_show": "गल्ती देखाउनुहोस्",
        "find_not_edge": "ब्याकवार्ड पासको कुनै किनारामा चिह्न लगाउनुहोस्: शीर्षकमा नोड → अपरेन्ड लेखिएको चरणमा "
        "जानुहोस् (बाकसका किनारा हेर्न त्यसलाई खोल्नुहोस्) र M थिच्नुहोस्।",
        "find_right": "यो होइन: किनारा {node} → {operand} का सबै सङ्ख्या ब्याकप्रोपले दिने जस्तै सही छन्। खोज्दै जानुहोस्।",
        "find_later": "किनारा {node} → {operand} का सङ्ख्या गलत छन्, तर योभन्दा अघिको कुनै किनारा पहिले नै गलत छ: "
        "पहिलो गलत किनारा खोज्नुहोस्।",
        "find_found": "भेट्टाउनुभयो: किनारा {node} → {operand} (चरण {step}) पहिलो गलत किनारा हो।",
        "find_revealed": "पहिलो गलत किनारा {node} → {operand} (चरण {step}) हो।",
        "find_slip": "गल्ती: {title}।",
        "find_correct": "सही गर्दा यो चरण यस्तो हुन्छ:",
        "help_find": "M पहिलो गलत किनारामा चिह्न",
        "numeric_slip": "हरेक इनपुटलाई अलिकति सारेर फर्वार्ड पास फेरि चलाउँदा {names} का लागि यो ब्याकवार्ड "
        "पासभन्दा फरक ढलानहरू आउँछन्: ब्याकवार्ड पासमा गल्ती छ। पहिले कुन किनारा गलत भयो?",
        "fade_prompt": "तपाईंको पालो: यो किनारा आफैं निकाल्नुहोस् (अपस्ट्रिम × स्थानीय, {operand}.grad मा जोडेर)। यो "
        "किनारा कुन नियमले दिन्छ?",
        "fade_show_rule": "नियम देखाउनुहोस्",
        "aria_rule": "यो किनाराको नियम कार्ड देखाउनुहोस् (R)",
        "fade_done": "{n} वटा किनारामध्ये अन्तिम {k} वटा तपाईंका हुन्: तिनलाई निकाल्नुहोस्, अनि हरेक ग्रेडियन्टलाई "
        "त्यसको इनपुट सारेर जाँच्नुहोस्।",
        "help_fade": "R नियम देखाउने",
    },
    # viz.worksheet.WORKSHEET_STRINGS
    "worksheet": {
        "title": "ब्याकप्रोपोगेसन कार्यपत्र: {formula}",
        "answer_key": " — उत्तर कुञ्जी",
        "version": "संस्करण {number}",
        "leaf_values": "पातहरूका मान:",
        "forward_label": "फर्वार्ड पास:",
        "forward_text": "पातहरूबाट सुरु गरेर, क्रमैसँग हरेक मान गणना गर्नुहोस्।",
        "forward_given": "पातहरूबाट क्रमैसँग गणना गरिएका मानहरू।",
        "backward_label": "ब्याकवार्ड पास:",
        "backward_text": "{seed} बाट सुरु गरेर हरेक ग्रेडियन्ट {grad} पत्ता लगाउनुहोस्; कुनै नोडले धेरै नोडलाई "
        "खुवाउँछ भने त्यसका योगदानहरू जोड्नुहोस्।",
        "col_node": "नोड",
        "col_computed": "गणना",
        "col_value": "मान",
        "col_gradient": "ग्रेडियन्ट",
        "col_chain": "चेन नियम",
        "col_step": "चरण",
        "col_edge": "किनारा",
        "col_rule": "नियम",
        "the_seed": "(सुरुवात)",
        "fade_all": "हल गरिएको उदाहरण: हरेक चरण गरिएको छ। हरेक चरण र त्यसलाई दिने नियम पढ्नुहोस्।",
        "fade_some": "हल गरिएको उदाहरण: {total} मध्ये पहिला {shown} चरण गरिएका छन्; अन्तिम {hidden} चरण आफैं, एक "
        "पटकमा एउटा किनारा गर्नुहोस्, र हरेकलाई कुन नियमले दिन्छ भन्नुहोस्।",
        "fade_none": "तपाईंको पालो: सबै {total} चरण आफैं, एक पटकमा एउटा किनारा गर्नुहोस्, र हरेकलाई कुन नियमले "
        "दिन्छ भन्नुहोस्।",
        "rule_prompt": "यो किनारा कुन नियमले दिन्छ?",
        "slip_text": "यो ब्याकवार्ड पासमा एउटा गल्ती छ। पहिलो गलत लाइन कुन हो? के गलत भयो भन्नुहोस् र त्यो लाइन "
        "सही लेख्नुहोस्।",
        "col_line": "लाइन",
        "slip_ask": "पहिलो गलत लाइन:",
        "slip_why": "के गलत भयो:",
        "slip_answer": "लाइन {line} पहिलो गलत लाइन हो।",
        "slip_kind": "गल्ती: {title}।",
        "slip_correct": "लाइन {line}, सही लेखिएको:",
    },
    # viz.lms.LMS_STRINGS
    "lms": {
        "computed": "आउटपुट {root} इनपुटहरूबाट यसरी गणना गरिन्छ:",
        "values": "इनपुटहरू:",
        "ask": "{node} को सापेक्षमा आउटपुट {root} को ग्रेडियन्ट, {grad}, पत्ता लगाउनुहोस्। एउटा सङ्ख्या "
        "दिनुहोस्; ठीक मानबाट {tol} भित्रका उत्तरहरू सही मानिन्छन्।",
        "name": "संस्करण {number}: {grad}",
        "category": "{node} को सापेक्षमा {root} को ग्रेडियन्ट",
        "right": "सही: {grad} = {answer}।",
        "working": "चेन नियम: {grad} = {working} = {answer}।",
        "seed": "आउटपुटको आफ्नै सापेक्षमा ग्रेडियन्ट 1 हुन्छ।",
    },
    # slips.SLIP_STRINGS
    "slips": {
        "fanout.title": "फ्यान-आउट जोडिएन (+= को सट्टा =)",
        "fanout.description": "{operand} ले {count} वटा नोडलाई खुवाउँछ, तर यसको ग्रेडियन्ट जोडिनुको (+=) सट्टा "
        "मेटाएर लेखियो (=): अन्तिम योगदान मात्र गनियो, त्यसैले ∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "fanout.feedback": "{operand} को ग्रेडियन्ट जोड्नुको सट्टा मेटाएर लेख्दा यही आउँछ: {operand} ले {count} "
        "वटा नोडलाई खुवाउँछ, र हरेक योगदान गनिन्छ (+=, = होइन)।",
        "fanout.refusal": "यो ग्राफको कुनै नोडले दुई वटा नोडलाई खुवाउँदैन (फ्यान-आउट छैन)",
        "fanout.check": "{grad} मा एउटा नमुनाको योगदान मात्र छ: ब्याचका हरेक नमुनाले उही प्यारामिटर प्रयोग "
        "गर्छन्, त्यसैले तिनका सबै योगदान जोड्नुहोस् (+=, = होइन; db का लागि अक्ष 0 मा dz को योग)।",
        "averaged.title": "योगदानहरू जोड्नुको सट्टा तिनको औसत निकालियो",
        "averaged.description": "{operand} ले {count} वटा नोडलाई खुवाउँछ, र यसको ग्रेडियन्ट जोड्नुको सट्टा "
        "तिनको औसत निकालियो: हरेक योगदान पूरै गनिन्छ, त्यसैले ∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "averaged.feedback": "यो {operand} का योगदानहरूको औसत हो: {operand} ले {count} वटा नोडलाई खुवाउँछ, र "
        "चेन नियमले तिनका योगदान जोड्छ (+=); {count} ले भाग गर्दैन।",
        "averaged.refusal": "यो ग्राफको कुनै नोडले दुई वटा नोडलाई खुवाउँदैन (फ्यान-आउट छैन)",
        "averaged.check": "{grad} ब्याचभरि जोड्नुको सट्टा औसत निकालियो: लसले पहिले नै औसत लिन्छ, त्यसैले तहले "
        "नमुनाहरूका योगदान जोड्नुपर्छ, फेरि ब्याचको आकार ({n}) ले भाग गर्नु हुँदैन।",
        "local_only.title": "स्थानीय डेरिभेटिभ मात्र (अपस्ट्रिम ग्रेडियन्ट बिर्सियो)",
        "local_only.description": "किनारा {node} → {edge_operand} मा स्थानीय डेरिभेटिभ {local_text} लाई अपस्ट्रिम "
        "ग्रेडियन्ट ∂{root}/∂{node} ले गुणन नगरी योगदानका रूपमा प्रयोग गरियो, त्यसैले ∂{root}/∂{operand} "
        "{right} को सट्टा {wrong} आयो।",
        "local_only.feedback": "यो स्थानीय डेरिभेटिभ मात्र हो: यसलाई अपस्ट्रिम ग्रेडियन्ट ∂{root}/∂{node} ले गुणन "
        "गर्नुहोस् (चेन नियम)।",
        "local_only.refusal": "हरेक अपस्ट्रिम ग्रेडियन्ट 1 छ, त्यसैले त्यसलाई बिर्सिंदा केही फरक पर्दैन",
        "local_only.check": "{grad} स्थानीय डेरिभेटिभ मात्र हो: चेन नियमले यसलाई अपस्ट्रिम ग्रेडियन्ट "
        "(ब्याकवार्डमा दिइएको आर्गुमेन्ट) ले गुणन गर्छ।",
        "outer_at_input.title": "f′(g(x)) को सट्टा f′(x): डेरिभेटिभ इनपुटमा लिइयो",
        "outer_at_input.description": "{node} को डेरिभेटिभ यसको आउटपुटबाट लेखिन्छ ({formula}), तर यसलाई इनपुट "
        "{edge_operand} = {input} मा गणना गरियो: {right_local} को सट्टा {wrong_local}, त्यसैले "
        "∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "outer_at_input.feedback": "यो {node} को डेरिभेटिभ यसको आउटपुटमा नभई इनपुटमा गणना गर्दा आउँछ: {formula} ले "
        "{edge_operand} होइन, {node} प्रयोग गर्छ।",
        "outer_at_input.refusal": "डेरिभेटिभ आउटपुटबाट लेखिने कुनै अपरेसन छैन (tanh, sigmoid, exp, sqrt)",
        "outer_at_input.check": "{grad} ले डेरिभेटिभ इनपुट x मा गणना गर्छ, तर त्यो आउटपुट y = f(x) बाट "
        "लेखिन्छ: d tanh(x)/dx = 1 − y², dσ(x)/dx = y·(1 − y); 1 − x² वा x·(1 − x) होइन।",
        "sign.title": "चिह्नको गल्ती (sub मा जस्तै: ∂(a − b)/∂b = −1 लाई +1 लिइयो)",
        "sign.description": "स्थानीय डेरिभेटिभ ∂{node}/∂{edge_operand} = {local_text} ले आफ्नो ऋण चिह्न गुमायो "
        "({wrong_local}), त्यसैले ∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "sign.feedback": "चिह्न जाँच्नुहोस्: बाटोमा कतै ऋण चिह्न हरायो (sub मा जस्तै, जहाँ ∂(a − b)/∂b = −1)।",
        "sign.refusal": "ऋण चिह्न भएको कुनै स्थानीय डेरिभेटिभ छैन (sub, neg, div वा cos छैन)",
        "sign.check": "{grad} को चिह्न गलत छ: हरेक अङ्क सही अङ्कको ऋणात्मक हो। चेन नियमका चिह्नहरू "
        "जाँच्नुहोस् (र lr·ग्रेडियन्ट घटाउने काम ब्याकवार्ड पासले होइन, अपडेटले गर्छ कि)।",
        "relu_side.title": "ReLU/abs को डेरिभेटिभ गलत पट्टि",
        "relu_side.description": "{node} टुक्रे फलन हो: यसको डेरिभेटिभ {formula} ले {edge_operand} = {input} 0 को "
        "कुन पट्टि छ भन्नेमा भर पर्छ, र त्यो गलत पट्टि लिइयो ({right_local} को सट्टा {wrong_local}), त्यसैले "
        "∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "relu_side.feedback": "इनपुट 0 को कुन पट्टि छ हेर्नुहोस्: ReLU ले इनपुट धनात्मक हुँदा मात्र ग्रेडियन्ट "
        "पठाउँछ, र abs को डेरिभेटिभ 0 को बायाँ −1 हुन्छ।",
        "relu_side.refusal": "यो ग्राफमा relu वा abs छैन",
        "relu_side.check": "{grad} ले ग्रेडियन्टलाई 0 को गलत पट्टि पठाउँछ: ReLU ले इनपुट धनात्मक भएका ठाउँमा "
        "dy पठाउँछ र अरू ठाउँमा रोक्छ (dx = dy·(x > 0))।",
        "layer.title": "तहको ग्रेडियन्ट ट्रान्सपोज भयो / गलत अक्षमा जोडियो",
        "layer.description": "तौल म्याट्रिक्स {layer} को ग्रेडियन्ट ट्रान्सपोज भयो वा गलत अक्षमा जोडियो: "
        "∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "layer.feedback": "तौलको ग्रेडियन्टको आकार तौलकै जस्तो हुन्छ: पङ्क्ति = आउटपुट, स्तम्भ = इनपुट "
        "(dW = dyᵀ·x, db = ब्याचभरि dy को योग)।",
        "layer.refusal": "तह छैन (0.weight[i][j] जस्तो नाम भएको, दुई वा बढी पङ्क्तिको तौल म्याट्रिक्स छैन)",
        "layer.check": "{grad} का अङ्क सही छन् तर तिनको क्रम गलत छ: ट्रान्सपोज भयो, वा ब्याचभरि (अक्ष 0) जोडिएन।",
        "layer.check.transposed": "{grad} सही उत्तरको ट्रान्सपोज हो: गुणनका दुई खण्ड साट्नुहोस् (dW = dz.T @ x "
        "मा हरेक आउटपुटको एउटा पङ्क्ति र हरेक इनपुटको एउटा स्तम्भ हुन्छ, W कै आकार)।",
        "layer.check.not_summed": "{grad} ब्याचभरि जोडिएन: यसमा हरेक नमुनाको एउटा पङ्क्ति छ। प्यारामिटर हरेक "
        "नमुनाले साझा गर्छन्, त्यसैले यसको ग्रेडियन्टले तिनका सबै योगदान जोड्छ (अक्ष 0 मा योग)।",
        "layer.check.wrong_axis": "{grad} गलत अक्षमा जोडियो: यसमा हरेक आउटपुटको एउटा सङ्ख्याको सट्टा हरेक "
        "नमुनाको एउटा सङ्ख्या छ। नमुनाहरूमा (अक्ष 0) जोड्नुहोस्, आउटपुटहरूमा (अक्ष 1) होइन।",
        "softmax_sum.title": "योग-पद बिनाको सफ्टम्याक्स ब्याकवार्ड",
        "softmax_sum.description": "साझा नर्मलाइजर {operand} (सफ्टम्याक्सको योग) मार्फत आउने ग्रेडियन्ट छुट्यो, "
        "त्यसैले ∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "softmax_sum.feedback": "हरेक सम्भावना योगमार्फत हरेक स्कोरमा भर पर्छ: सफ्टम्याक्सको ग्रेडियन्ट "
        "p·(dp − Σ p·dp) हो, p·dp होइन।",
        "softmax_sum.refusal": "सफ्टम्याक्स छैन (योगले भाग गरिएको केही छैन)",
        "softmax_sum.check": "{grad} मा p·dp मात्र छ, − p·Σ(p·dp) पद छैन: सफ्टम्याक्सको हरेक आउटपुट आफ्नो "
        "पङ्क्तिका हरेक इनपुटमा भर पर्छ, त्यसैले p·dp को पङ्क्ति-योगलाई p ले गुणन गरेर घटाउनुहोस् "
        "(dz = p·dp − p·Σ_j p_j·dp_j)।",
        "scaled.title": "गुणनखण्ड छुट्यो वा बढी भयो (घात नियमको n: d(x²)/dx लाई x लिइयो)",
        "scaled.description": "घात नियमले घाताङ्कलाई अगाडि झार्छ: ∂{node}/∂{edge_operand} = {local_text}, तर "
        "त्यो गुणनखण्ड छुट्यो ({wrong_local}), त्यसैले ∂{root}/∂{operand} {right} को सट्टा {wrong} आयो।",
        "scaled.feedback": "अगाडिको गुणनखण्ड जाँच्नुहोस्: किनारा {node} → {edge_operand} मा घात नियमले "
        "घाताङ्कलाई अगाडि झार्छ (d(x²)/dx = 2x, x होइन)।",
        "scaled.refusal": "यो ग्राफमा घात छैन (x ** n छैन)",
        "scaled.check": "{grad} को ढाँचा सही छ तर परिमाण गलत: हरेक अङ्क सही अङ्कको {factor} गुणा छ "
        "(कुनै गुणनखण्ड बढी भयो वा छुट्यो, जस्तै वर्गबाट आउने 2 वा ब्याचको आकार {n})।",
        "no_change": "यी मानहरूमा यसका सम्भावित {count} ठाउँमध्ये कुनैले पनि ग्रेडियन्ट बदल्दैन",
    },
    # viz.playground.PLAYGROUND_STRINGS: the browser playground around the stepper
    "playground": {
        "page_title": "microgradnet प्लेग्राउन्ड: ब्याकप्रोपोगेसन चरणैपिच्छे",
        "heading": "microgradnet प्लेग्राउन्ड",
        "tagline": "सूत्र वा micrograd शैलीको Python लेख्नुहोस्, अनि यसको ब्याकवार्ड पास एक-एक किनारा गर्दै हेर्नुहोस्।",
        "input_section": "के हेर्ने",
        "tabs": "ग्राफ कसरी दिने",
        "tab_formula": "सूत्र",
        "tab_code": "Python कोड",
        "tab_examples": "उदाहरणहरू",
        "formula": "सूत्र",
        "values": "मानहरू",
        "step_through": "चरणैपिच्छे हेर्नुहोस्",
        "formula_help": "+ − * / ** र tanh, exp, log, relu, sigmoid, … अपरेसनहरू; चरणहरूलाई नाम दिन "
        "`e = a*b; L = e + c` लेख्नुहोस्। Enter थिच्नुहोस्।",
        "editor": "Python कोड (Ctrl+Enter ले चलाउँछ; Tab ले इन्डेन्ट गर्छ, Esc पछि Tab ले बाहिर निस्कन्छ)",
        "run": "चलाउनुहोस् ▶",
        "stop": "रोक्नुहोस् ■",
        "trace_output": "ट्रेस गर्ने आउटपुट",
        "trace_output_aria": "कुन मान ट्रेस गर्ने",
        "biggest": "सबैभन्दा ठूलो ग्राफ",
        "output_option": "{name} ({count} नोड)",
        "code_help": "`Value`, `Neuron`, `Layer`, `MLP`, `math` र `random` प्रयोग गर्न तयार छन्; "
        "`from micrograd.engine import Value` पनि चल्छ। Ctrl+Enter ले चलाउँछ।",
        "code_comment": "micrograd शैलीको Python: ग्राफ बनाउनुहोस्, अनि चलाउनुहोस् (Ctrl+Enter) थिचेर त्यसलाई "
        "चरणैपिच्छे हेर्नुहोस्।",
        "console": "छापिएको नतिजा",
        "example": "हल गरिएको उदाहरण",
        "open": "खोल्नुहोस्",
        "no_examples": "(लोड हुँदैछ…)",
        "link": "यो चरणको लिङ्क",
        "copy": "लिङ्क कपी गर्नुहोस्",
        "limit": "समय सीमा",
        "seconds": "सेकेन्ड",
        "language": "भाषा",
        "stepper_section": "स्टेपर",
        "footer": "सबै कुरा यही पानामा चल्छ: Python (Pyodide, WebAssembly मा कम्पाइल गरिएको) मा microgradnet "
        "को आफ्नै इन्जिन। तपाईंले टाइप गरेको केही पनि कतै पठाइँदैन।",
        "licenses": "इजाजतपत्रहरू",
        "noscript": "प्लेग्राउन्डलाई JavaScript चाहिन्छ (यसले तपाईंको ब्राउजरमा Python चलाउँछ)।",
        "loading": "तपाईंको ब्राउजरमा Python लोड हुँदैछ…",
        "ready": "तयार: यही पानामा Python {python} मा microgradnet {version} चलिरहेको छ ({seconds} "
        "सेकेन्डमा सुरु भयो)।",
        "restarting": "Python फेरि सुरु हुँदैछ…",
        "running": "चलिरहेको छ…",
        "drawing": "{count} नोड ट्रेस गरेर मिलाइँदैछ…",
        "timeout_code": "रोकियो: तपाईंको कोड {limit} सेकेन्डको समय सीमापछि पनि चलिरहेको थियो। कहिल्यै नसकिने "
        "लुप छ कि? Python फेरि सुरु गरिएको छ; कोड बदलेर फेरि चलाउनुहोस् थिच्नुहोस्।",
        "timeout_draw": "रोकियो: तपाईंको कोड सकियो, तर यसको {count} नोडको ग्राफ ट्रेस गरेर कोर्न {limit} "
        "सेकेन्डको समय सीमाभन्दा बढी लाग्यो। सानो ग्राफ वा लामो समय सीमा प्रयोग गर्नुहोस्।",
        "crashed": "Python अचानक रोकियो (मेमोरी सकियो?) र फेरि सुरु गरिएको छ: {error}",
        "crashed_stack": "Python को स्ट्याक सकियो र फेरि सुरु गरिएको छ। हजारौँ नोड गहिरो ग्राफ एकैपटक "
        "मेटाउँदा यस्तो हुन्छ (तपाईंको कोडभित्र `x = x + 1` को लामो शृङ्खला फालेर नयाँ बनाउँदा); ग्राफलाई "
        "केही हजार नोडभित्र राख्नुहोस्। ({error})",
        "stopped": "रोकियो। Python फेरि सुरु गरिएको छ।",
        "fatal": "यो ब्राउजरमा Python सुरु हुन सकेन: {error}",
        "code_link": "यो लिङ्कमा Python कोड छ। पहिले पढ्नुहोस्: चलाउनुहोस् थिचेपछि मात्र यो चल्छ।",
        "error_code": "तपाईंको कोड त्रुटिका कारण रोकियो{line}:",
        "error_line": " (लाइन {line} मा)",
        "error_formula": "सूत्र: {error}",
        "error_values": "मानहरू: {error}",
        "copied": "लिङ्क कपी भयो।",
        "copy_failed": "लिङ्क छानेर कपी गर्नुहोस् (Ctrl+C)।",
        "no_value": "तपाईंको कोड चल्यो, तर ट्रेस गर्ने कुनै `Value` बनेन। एउटा बनाउनुहोस्, जस्तै "
        "`a = Value(2.0, label='a'); L = a * a`",
        "own_value": "तपाईंको कोडले आफ्नै `Value` क्लास बनाउँछ, तर प्लेग्राउन्डले microgradnet को `Value` ट्रेस "
        "गर्छ: त्यो क्लास मेटाउनुहोस् (`Value` प्रयोग गर्न तयार छ, लेक्चरकै `label=`, `data`, `grad` र "
        "`backward()` सहित) र फेरि चलाउनुहोस्।",
        "no_output": "तपाईंको कोड चलेपछि {name!r} नामको कुनै `Value` छैन; यीमध्ये एउटा छान्नुहोस्: {names}।",
        "too_many_nodes": "{name} को ग्राफमा {count} नोड छन्; प्लेग्राउन्डले बढीमा {limit} नोडसम्म चरणैपिच्छे "
        "देखाउँछ (सानो नेटवर्क, वा लसमा कम नमुनाले ग्राफ पढ्न मिल्ने बनाउँछ)।",
        "exit": "तपाईंको कोडले `exit()` बोलायो; त्योभन्दा अघिको सबै चल्यो।",
        "bad_request": "पानाले प्लेग्राउन्डले नबुझ्ने अनुरोध पठायो: {problem}।",
        "bad_exercise": "लिङ्कले मागेको अभ्यास यो ग्राफमा मिल्दैन: {problem}।",
        "too_long": "कोड {count} अक्षर लामो छ; सीमा {limit} हो।",
        "values_twice": "{name} दुई पटक दिइयो ({first} र {second})",
        "bad_theme": "रङ थिम {themes} मध्ये एउटा हुनुपर्छ, {theme!r} आयो।",
        "unknown_example": "{name!r} नामको कुनै उदाहरण छैन; उदाहरणहरू: {names}।",
        "example_not_here": "उदाहरण {name!r} लाई {module} चाहिन्छ, जुन प्लेग्राउन्डमा छैन; microgradnet "
        "इन्स्टल भएको कम्प्युटरमा `microgradnet step --example {name}` ले खोल्नुहोस्।",
        "not_here": "प्लेग्राउन्डले {name} बिनाको Python चलाउँछ: यहाँ microgradnet को इन्जिन, `nn`, `losses`, "
        "`optim` र सूत्र पार्सर चल्छन्; यसका डेटा सेट र `compile` लाई `NumPy` चाहिन्छ।",
    },
    # the op table's rule cards (ops.OPS[name].rule), for "which rule gives this edge?"
    "rules": {
        "add": "add ले बाँड्छ: हरेक इनपुटले अपस्ट्रिम ग्रेडियन्ट नबदली पाउँछ",
        "sub": "sub ले ग्रेडियन्ट a लाई र त्यसको उल्टो चिह्न b लाई पठाउँछ",
        "mul": "mul ले साट्छ: हरेक इनपुटले अपस्ट्रिम ग्रेडियन्टलाई अर्को इनपुटले गुणन गरेर पाउँछ",
        "div": "div: ∂/∂a = 1/b, ∂/∂b = -a/b²",
        "neg": "neg ले ग्रेडियन्टको चिह्न उल्टाउँछ",
        "pow": "pow: ∂/∂a = b·a^(b-1), ∂/∂b = aᵇ·ln a (a = 0 वा b = 0 मा 0, PyTorch मा जस्तै)",
        "pown": "घात नियम: n·xⁿ⁻¹ (n = 0 हुँदा 0, x = 0 मा पनि, PyTorch मा जस्तै)",
        "exp": "exp आफैं आफ्नो डेरिभेटिभ हो: eˣ",
        "log": "log: 1/x",
        "tanh": "tanh: 1 - tanh²",
        "relu": "relu ले बाटो देखाउँछ: x > 0 भएमा ग्रेडियन्ट जान्छ, अरू ठाउँमा रोकिन्छ",
        "sigmoid": "sigmoid: σ(1 - σ)",
        "sin": "sin: cos x",
        "cos": "cos: -sin x",
        "abs": "abs: x को चिह्न",
        "sqrt": "sqrt: 1/(2√x)",
        "sum": "sum ले बाँड्छ: हरेक पदले अपस्ट्रिम ग्रेडियन्ट पाउँछ",
        "dot": "dot: हरेक x[i] ले w[i] गुणा अपस्ट्रिम ग्रेडियन्ट पाउँछ, र हरेक w[i] ले x[i] पाउँछ",
        "max": "max ले बाटो देखाउँछ: सबैभन्दा ठूलो इनपुटले अपस्ट्रिम ग्रेडियन्ट पाउँछ (बराबर इनपुटहरूले बाँडेर पाउँछन्)",
        "detach": "detach ले ग्रेडियन्ट रोक्छ: मान अगाडि जान्छ, पछाडि केही फर्कँदैन",
    },
}
