;;; emacs_driver.el --- emacs --batch: notelint.el, Eglot and Flymake on the fixture note  -*- lexical-binding: t; -*-

;; Loads editors/emacs/notelint.el, sets some of its options, opens $NOTELINT_NOTE and
;; $NOTELINT_NOTE2 (*.note), starts Eglot the way a user's hook does (`eglot-ensure'), waits
;; for Flymake diagnostics and writes what Emacs received to $NOTELINT_OUT as JSON.

(require 'package)
(package-initialize)              ; Debian's elpa-eglot, or Eglot from ELPA
(add-to-list 'load-path (getenv "NOTELINT_EL_DIR"))
(require 'notelint)
(require 'flymake)
(require 'json)

(setq notelint-command (json-parse-string (getenv "NOTELINT_CMD") :array-type 'list)
      notelint-debounce-ms 0
      notelint-severity '(("NL202" . "hint"))
      eglot-sync-connect 10)

(defun driver-diagnostics ()
  (let ((out nil))
    (dolist (d (flymake-diagnostics))
      (let* ((lsp (alist-get 'eglot-lsp-diag (flymake-diagnostic-data d)))
             (line (line-number-at-pos (flymake-diagnostic-beg d))))
        (princ (format "%s:%d: %s %s %s\n" (buffer-name) line (plist-get lsp :code)
                       (flymake-diagnostic-type d) (flymake-diagnostic-text d)))
        (push (list :code (or (plist-get lsp :code) :null)
                    :source (or (plist-get lsp :source) :null)
                    :severity (or (plist-get lsp :severity) :null)
                    :type (symbol-name (flymake-diagnostic-type d))
                    :line line
                    :text (flymake-diagnostic-text d))
              out)))
    (vconcat (nreverse out))))

(defun driver-wait (done)
  "Process the server's messages until DONE returns non-nil or 15 s have passed."
  (let ((deadline (+ (float-time) 15)))
    (while (and (not (funcall done)) (< (float-time) deadline))
      (accept-process-output nil 0.05))))

(defun driver-resend-settings ()
  "Change a setting, send it with `notelint-send-settings', wait until NL202 is an error."
  (setq notelint-severity '(("NL202" . "error")))
  (notelint-send-settings)
  (driver-wait (lambda ()
                 (cl-some (lambda (d) (eq (flymake-diagnostic-type d) 'eglot-error))
                          (flymake-diagnostics))))
  (driver-diagnostics))

(defun driver-open (path)
  (find-file path)
  (eglot-ensure)
  (run-hooks 'post-command-hook)  ; eglot-ensure connects after the next command
  ;; Flymake defers its first check until the buffer is displayed and a command has run, which
  ;; never happens in batch mode for a second buffer: start it now (Eglot is connected by now).
  (when flymake-mode (flymake-start))
  (driver-wait #'flymake-diagnostics)
  (list :mode (symbol-name major-mode)
        :server (let ((s (eglot-current-server))) (if s (symbol-name (eieio-object-class s)) :null))
        :flymake (if flymake-mode t :false)
        :diagnostics (driver-diagnostics)))

(let ((result nil))
  (condition-case err
      (setq result (list :eglot (let ((desc (cadr (assq 'eglot package-alist))))
                                 (if desc (package-version-join (package-desc-version desc))
                                   "built-in"))
                         :settings (notelint-settings)
                         :text (driver-open (getenv "NOTELINT_NOTE"))
                         :note (driver-open (getenv "NOTELINT_NOTE2"))
                         :configuration (eglot-handle-request
                                         (eglot-current-server) 'workspace/configuration
                                         :items [(:section "notelint") (:section "other")])
                         :resent (driver-resend-settings)))
    (error (setq result (list :error (error-message-string err)))))
  (let ((eglot-autoshutdown nil))
    (ignore-errors (eglot-shutdown-all)))
  (with-temp-file (getenv "NOTELINT_OUT")
    (insert (json-serialize result :false-object :false))))

(kill-emacs 0)
;;; emacs_driver.el ends here
